import sys

from safecoder.cli import main

sys.exit(main())
