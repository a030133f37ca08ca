"""Make this repository importable as ansible_collections.quoin.fargate, wherever it is checked out."""

import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent

_root = Path(tempfile.mkdtemp(prefix="quoin-collections-"))
(_root / "ansible_collections" / "quoin").mkdir(parents=True)
(_root / "ansible_collections" / "quoin" / "fargate").symlink_to(REPO)
sys.path.insert(0, str(_root))
