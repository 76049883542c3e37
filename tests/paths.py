"""Where the repository and the real book data (beside the checkout) are."""
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
SHARED_DATA = REPO.parent / "shared" / "data"
