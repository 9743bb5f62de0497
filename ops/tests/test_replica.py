"""A second PostgreSQL as a streaming replica of the first: reports and exports read
from it, writes go to the primary and show up on it, one's own writes are read from
the primary until the replica has them, and a replica that fails leaves the reports
to the primary. The scenario itself is ops/tests/replica_scenario.py, run in a pytest
of its own against the two servers (its docstring says why); about 20 s."""

import subprocess
import sys

from ops.tests.streaming_pair import streaming_pair
from tests.helpers import BASE_DIR, clean_environment


def test_reports_read_from_a_streaming_replica_and_writes_go_to_the_primary() -> None:
    with streaming_pair() as pair:
        environment = clean_environment(
            {
                "DATABASE_URL": pair.primary.url(),
                "REPLICA_DATABASE_URL": pair.replica.url(),
                "REPLICA_DATA_DIR": str(pair.replica.data_dir),
                "REPLICA_SCENARIO": "1",
            }
        )
        result = subprocess.run(  # our own interpreter and file
            [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "no:xdist",
             "-p", "no:randomly", "ops/tests/replica_scenario.py"],
            cwd=BASE_DIR,
            env=environment,
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )  # fmt: skip
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-3000:]
    assert "2 passed" in result.stdout, result.stdout[-3000:]
