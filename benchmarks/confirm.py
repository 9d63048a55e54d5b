"""Re-authentication benchmark: what asking for the passphrase again costs a co-sign, in process
and through the kernel path (kernel request → parked → confirmed from JupyterLab's route → result).

Run: .venv/bin/python benchmarks/confirm.py [--kdf default|minimum|fast] [--repeats N]
(prints medians side by side from one run; no asserts). Synthetic data, throw-away vault.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import tempfile
import threading
from pathlib import Path

from _timing import Row, median_ms, table
from kap_notes.agent.client import AgentTransport
from kap_notes.agent.keyholder import KeyHolder
from kap_notes.agent.server import AgentServer
from kap_notes.model.people import Role
from kap_notes.service import review
from kap_notes.service.backend import Backend
from kap_notes.service.demo import record_course
from kap_notes.service.synthetic import synthetic_course
from kap_notes.vault import access
from kap_notes.vault.crypto import DEFAULT_KDF, FAST_KDF, MINIMUM_KDF
from kap_notes.vault.vault import Vault

KDFS = {"default": DEFAULT_KDF, "minimum": MINIMUM_KDF, "fast": FAST_KDF}
ADA, TESS, SAM = "ada bench passphrase", "tess bench passphrase", "sam bench passphrase"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kdf", choices=sorted(KDFS), default="default")
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    kdf = KDFS[args.kdf]
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "vault"
        created = Vault.init(path, admin_name="ada", admin_passphrase=ADA, kdf=kdf,
                             kdf_floor=FAST_KDF)  # fmt: skip
        access.add_user(created.admin, "tess", Role.THERAPIST, TESS)
        access.add_user(created.admin, "sam", Role.SUPERVISOR, SAM)
        access.assign_supervisor(created.admin, "sam", "tess")
        tess = created.vault.unlock("tess", TESS)
        access.accept_supervisor(tess, "sam")
        notes: list[str] = []
        seed = 0
        while len(notes) < 2 * args.repeats:  # each co-sign needs its own signed note
            seed += 1
            course = synthetic_course(seed, start=dt.date(2026, 1, 5) + dt.timedelta(weeks=seed))
            notes += record_course(tess, course, passphrase=TESS)[1]
        holder = KeyHolder(str(path), kdf_floor=FAST_KDF)
        holder.unlock("sam", SAM)
        sam = holder.session()
        queue = iter(notes)
        reauth = median_ms(lambda: sam.reauthenticate(SAM), args.repeats)
        local = median_ms(lambda: review.cosign(sam, next(queue), passphrase=SAM), args.repeats)
        rows = [
            Row("re-authenticate (Argon2id, the passphrase again)", f"{reauth:.0f} ms", "", None),
            Row("co-sign in process (CLI, tests)", f"{local:.0f} ms", "", None),
        ]
        rows.append(_through_the_agent(holder, Path(tmp) / "a.sock", queue, args.repeats))
        print(f"KDF {args.kdf}: {kdf}")
        print(table(rows))


def _through_the_agent(holder: KeyHolder, sock: Path, queue: object, repeats: int) -> Row:
    """A kernel's co-sign confirmed by a stand-in for the dialog as soon as it is listed."""
    server = AgentServer(holder, sock)
    loop = asyncio.new_event_loop()
    threading.Thread(target=loop.run_forever, daemon=True).start()
    asyncio.run_coroutine_threadsafe(server.start(), loop).result(10)
    kernel = Backend(AgentTransport(str(sock)))
    stop = threading.Event()

    def dialog() -> None:
        while not stop.is_set():
            for item in holder.pending()["pending"]:
                holder.confirm(str(item["id"]), SAM)
            stop.wait(0.001)

    threading.Thread(target=dialog, daemon=True).start()
    notes = iter(queue)  # type: ignore[call-overload]
    value = median_ms(lambda: kernel.cosign(next(notes)), repeats)
    stop.set()
    asyncio.run_coroutine_threadsafe(server.stop(), loop).result(10)
    loop.call_soon_threadsafe(loop.stop)
    return Row("co-sign from a kernel, confirmed at once", f"{value:.0f} ms", "", None)


if __name__ == "__main__":
    main()
