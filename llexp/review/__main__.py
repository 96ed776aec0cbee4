"""`python -m llexp.review PATH...`: the same as `llexp review PATH...`."""

import sys

from llexp.review import main

if __name__ == "__main__":
    sys.exit(main())
