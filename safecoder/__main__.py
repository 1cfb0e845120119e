from safecoder.cli import main
import sys
sys.exit(main())
