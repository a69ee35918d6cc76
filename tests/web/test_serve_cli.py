"""``tierwall serve`` on the command line: usage errors exit 2; the command is listed."""

from click.testing import CliRunner

from tierwall.cli.main import cli


def test_serve_without_inputs_is_a_usage_error():
    result = CliRunner().invoke(cli, ["serve"])
    assert result.exit_code == 2
    assert "no input" in result.output


def test_serve_is_a_command_and_binds_loopback_by_default():
    result = CliRunner().invoke(cli, ["serve", "--help"])
    assert result.exit_code == 0
    assert "127.0.0.1" in result.output and "--fleet" in result.output
