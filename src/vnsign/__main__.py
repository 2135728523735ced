"""``python -m vnsign``: the same as the ``vnsign`` command."""

from vnsign.cli import run

run()
