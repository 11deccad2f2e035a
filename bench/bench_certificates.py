"""Certificate PDF speed: median time per certificate, and a 1,000-certificate cohort ZIP.

    .venv/bin/python bench/bench_certificates.py [--count 1000] [--repeat 200]

Aims (issue 5): under 50 ms per certificate; a 1,000-certificate ZIP under 60 s.
Quote the medians: the machines are shared and noisy.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from lms import create_app  # noqa: E402
from lms.certificates import documents  # noqa: E402
from lms.certificates.cli import SAMPLE  # noqa: E402
from lms.certificates.models import Certificate  # noqa: E402
from lms.util.pdf import warm_up  # noqa: E402

NAMES = ["Ani Rahmawati, A.Md.", "Muhammad Rizki Pratama", "Siti Nurhaliza binti Abdurrahman",
         "Hj. Lailatul Mubarokah, S.Pd.I.", "Rahmadi", "Zoë O'Neil-Kusuma"]


def fake_certificates(count: int) -> list[Certificate]:
    certificates = []
    for i in range(count):
        snapshot = dict(SAMPLE, name=NAMES[i % len(NAMES)] + f" {i}", number=f"{i + 1:04d}/BIMTEK-SPPTIK/2026")
        certificates.append(Certificate(code=f"BENCH{i:011d}", number=snapshot["number"],
                                        snapshot_json=json.dumps(snapshot), status="valid"))
    return certificates


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=1000, help="certificates in the ZIP")
    parser.add_argument("--repeat", type=int, default=200, help="single certificates to time")
    args = parser.parse_args()
    app = create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://", "SECRET_KEY": "bench",
                      "PUBLIC_URL": "https://lms.example.id"})
    with app.app_context():
        started = time.perf_counter()
        warm_up()
        print(f"font preparation (once per process, cached on disk): {time.perf_counter() - started:.2f} s")
        certificates = fake_certificates(max(args.count, args.repeat))
        documents.certificate_pdf(certificates[0])  # first use
        times = []
        for certificate in certificates[:args.repeat]:
            t = time.perf_counter()
            documents.certificate_pdf(certificate)
            times.append(time.perf_counter() - t)
        times_ms = sorted(x * 1000 for x in times)
        print(f"per certificate over {args.repeat}: median {statistics.median(times_ms):.1f} ms, "
              f"p90 {times_ms[int(len(times_ms) * 0.9)]:.1f} ms")
        t = time.perf_counter()
        data = documents.zip_certificates(certificates[:args.count])
        elapsed = time.perf_counter() - t
        print(f"ZIP of {args.count}: {elapsed:.1f} s, {len(data) / 1e6:.1f} MB "
              f"({elapsed / args.count * 1000:.1f} ms per certificate)")


if __name__ == "__main__":
    main()
