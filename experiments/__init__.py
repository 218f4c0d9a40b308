"""The paper's tables, rendered from result files only (``python -m experiments`` renders them all).

One module per table or figure; ``paper`` holds what the paper reports (transcribed from
/work/shared/paper/REPORTED.md); ``render`` turns tables into Markdown, LaTeX and PNG; ``common`` finds cells.
"""
