import sys

from pingtai.cli import main

sys.exit(main())
