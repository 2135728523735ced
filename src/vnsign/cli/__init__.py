"""The ``vnsign`` command.

Exit codes shared by every subcommand (``vnsign verify`` adds 1 and 2 for
invalid and indeterminate documents):

* 0: done
* 3: an error vnsign reports (unreadable input, unusable credential, network ...)
* 4: usage error (unknown option, missing argument)
* 130: interrupted
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

import click

from vnsign._version import __version__
from vnsign.cli._lazy import LazyGroup
from vnsign.errors import PolicyError, VnsignError

__all__ = ["EXIT_ERROR", "EXIT_USAGE", "cli", "main", "run"]

EXIT_ERROR = 3
EXIT_USAGE = 4


# Each command is imported only when it runs (or when --help lists it).
COMMANDS = {
    "cert": "vnsign.cli.cert:cert",
    "demo": "vnsign.cli.demo:demo",
    "edxml": "vnsign.cli.edxml:edxml",
    "extend": "vnsign.cli.sign_pdf:extend",
    "remote": "vnsign.cli.remote:remote",
    "sign": "vnsign.cli.sign:sign",
    "testpki": "vnsign.cli.testpki:testpki",
    "tokens": "vnsign.cli.tokens:tokens",
    "verify": "vnsign.cli.verify:verify",
}


@click.group(
    cls=LazyGroup,
    lazy=COMMANDS,
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
)
@click.version_option(__version__, prog_name="vnsign")
@click.option("--debug", is_flag=True, help="Show a traceback when something fails.")
@click.pass_context
def cli(ctx: click.Context, debug: bool) -> None:
    """Sign Vietnamese e-documents and verify them before they are exchanged."""
    ctx.obj = {"debug": debug}


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit code (see the module docstring)."""
    args = list(sys.argv[1:] if argv is None else argv)
    debug = "--debug" in args
    try:
        code = cli.main(args=args, prog_name="vnsign", standalone_mode=False)
    except click.UsageError as exc:
        exc.show()
        return EXIT_USAGE
    except click.exceptions.Exit as exc:
        return exc.exit_code
    except click.Abort:
        click.echo("Interrupted.", err=True)
        return 130
    except click.ClickException as exc:
        exc.show()
        return EXIT_ERROR
    except PolicyError as exc:  # a bad profile or policy file is a usage problem
        if debug:
            raise
        click.echo(f"vnsign: {exc}", err=True)
        return EXIT_USAGE
    except VnsignError as exc:
        if debug:
            raise
        click.echo(f"vnsign: {exc}", err=True)
        return EXIT_ERROR
    except KeyboardInterrupt:
        click.echo("Interrupted.", err=True)
        return 130
    return code if isinstance(code, int) else 0


def run() -> None:
    """Console-script entry point: :func:`main`, then exit with its code."""
    sys.exit(main())
