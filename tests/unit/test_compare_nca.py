"""The reader of network-config-analyzer's report in ``benchmarks/compare_nca.py``: the
agreement figures in docs/performance.md are only as right as this parser."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))

from compare_nca import parse_nca  # noqa: E402

REPORT = """\
final fw rules for query: connectivity_map, config: policies.yaml:
team4/backend-7-0 => team4/frontend-0-0 : {protocols:TCP,dst_ports:80,8517-8563}
team4/backend-7-0 => team4/frontend-0-0 : {protocols:UDP,dst_ports:35196-35304}
team4/a => team4/b : All connections
team4/a => team4/c : {protocols:TCP, UDP,dst_ports:53}
0.0.0.0/0 => team4/a : All connections
"""


def test_a_pair_on_several_lines_allows_what_any_line_allows(tmp_path):
    """NCA writes one line per protocol when a pair's port sets differ by protocol; the first
    parser kept only the last line, and counted TCP/80 here as denied."""
    path = tmp_path / "nca.txt"
    path.write_text(REPORT)
    nca = parse_nca(path)
    both = nca[("team4/backend-7-0", "team4/frontend-0-0")]
    assert both("TCP", 80) and both("TCP", 8520) and both("UDP", 35200)
    assert not both("TCP", 35200) and not both("UDP", 80) and not both("SCTP", 80)
    assert nca[("team4/a", "team4/b")]("SCTP", 9)
    assert nca[("team4/a", "team4/c")]("UDP", 53) and not nca[("team4/a", "team4/c")]("UDP", 54)
    assert all(not src[0].isdigit() for src, _ in nca)  # address ranges are outside the pod matrix
