"""`python -m lr_policies.train ...` (as in `torchrun --nproc_per_node N -m lr_policies.train`)."""

import sys

from lr_policies.train.cli import main

sys.exit(main(sys.argv[1:]))
