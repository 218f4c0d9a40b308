"""Where the package and the repository it runs from are: the one place the repository root is computed (the conf/
tree, the tiny models under assets/ and the code digest are all found from it)."""

from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent
REPO_ROOT = PACKAGE_DIR.parent
