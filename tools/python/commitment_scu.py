"""A modality as the box's storage commitment peer, with pynetdicom (the test suite runs it).

send: one association to the box with C-STORE of the given files, then N-ACTION (Request
Storage Commitment) for the given references; then either wait for the N-EVENT-REPORT on that
association (--wait-same) or release at once. --listen PORT also runs an acceptor that takes the
report on a new association (the box in the SCP role, negotiated by role selection).
listen: only the acceptor, until a report arrives or the timeout passes.

Prints one JSON object on stdout: the N-ACTION status and every report received, with the
association it came on.
"""

import argparse
import json
import sys
import threading

from pydicom import dcmread
from pydicom.dataset import Dataset
from pydicom.uid import generate_uid
from pynetdicom import AE, debug_logger, evt
from pynetdicom.sop_class import StorageCommitmentPushModel

WELL_KNOWN_INSTANCE = "1.2.840.10008.1.20.1.1"


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("mode", choices=["send", "listen"])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, help="the box's DICOM port (send)")
    parser.add_argument("--called", default="FLUOROBOX")
    parser.add_argument("--ae", default="MODALITY")
    parser.add_argument("--store", nargs="*", default=[], help="Part 10 files to C-STORE first")
    parser.add_argument("--commit", nargs="*", default=[], help="CLASS_UID/INSTANCE_UID pairs to ask about")
    parser.add_argument("--commit-stored", action="store_true", help="also ask about every stored file")
    parser.add_argument("--transaction", default=None)
    parser.add_argument("--wait-same", action="store_true")
    parser.add_argument("--listen", type=int, default=None, help="port to take the report on a new association")
    parser.add_argument("--timeout", type=float, default=30)
    parser.add_argument("--action-type", type=int, default=1, help="N-ACTION Action Type ID (1 is the only one defined)")
    parser.add_argument("--debug", action="store_true", help="pynetdicom's debug log on stderr")
    args = parser.parse_args()
    if args.debug:
        debug_logger()

    output = {"reports": []}
    received = threading.Event()
    lock = threading.Lock()

    def handle_report(event, where):
        ds = event.event_information
        report = {
            "association": where,
            "calling_ae": event.assoc.requestor.ae_title,
            "event_type": event.event_type,
            "transaction_uid": str(ds.get("TransactionUID", "")),
            "committed": [[str(i.ReferencedSOPClassUID), str(i.ReferencedSOPInstanceUID)] for i in ds.get("ReferencedSOPSequence", [])],
            "failed": [
                [str(i.ReferencedSOPClassUID), str(i.ReferencedSOPInstanceUID), int(i.FailureReason)]
                for i in ds.get("FailedSOPSequence", [])
            ],
        }
        with lock:
            output["reports"].append(report)
        received.set()
        return 0x0000, None

    server = None
    # The report's association is over (released or aborted): only then may the acceptor stop,
    # or it could close before its N-EVENT-REPORT-RSP or its A-RELEASE-RP reached the box.
    closed = threading.Event()
    if args.listen is not None:
        acceptor = AE(ae_title=args.ae)
        # The box asks for the SCP role on the association it opens; accept exactly that.
        acceptor.add_supported_context(StorageCommitmentPushModel, scu_role=False, scp_role=True)
        server = acceptor.start_server(
            ("127.0.0.1", args.listen), block=False,
            evt_handlers=[
                (evt.EVT_N_EVENT_REPORT, lambda e: handle_report(e, "new")),
                (evt.EVT_RELEASED, lambda e: closed.set()), (evt.EVT_ABORTED, lambda e: closed.set()),
            ],
        )

    try:
        if args.mode == "send":
            run_send(args, output, handle_report, received)
        if args.listen is not None:
            if not received.wait(args.timeout):
                output["error"] = "no report on a new association within the timeout"
            elif args.mode == "listen":
                closed.wait(10)
    finally:
        if server is not None:
            server.shutdown()
    json.dump(output, sys.stdout)
    print()


def run_send(args, output, handle_report, received):
    ae = AE(ae_title=args.ae)
    ae.acse_timeout = ae.dimse_timeout = ae.network_timeout = args.timeout
    files = [dcmread(path) for path in args.store]
    for ds in files:
        ae.add_requested_context(ds.SOPClassUID, ds.file_meta.TransferSyntaxUID)
    ae.add_requested_context(StorageCommitmentPushModel)
    # pynetdicom answers an N-EVENT-REPORT on a thread of its own, after the handler returns:
    # release only once that answer is on the wire, or the release would overtake it.
    answered = threading.Event()

    def sent(event):
        if type(event.message).__name__ == "N_EVENT_REPORT_RSP":
            answered.set()

    handlers = [(evt.EVT_N_EVENT_REPORT, lambda e: handle_report(e, "same")), (evt.EVT_DIMSE_SENT, sent)] if args.wait_same else []
    assoc = ae.associate(args.host, args.port, ae_title=args.called, evt_handlers=handlers)
    if not assoc.is_established:
        output["error"] = "association not established"
        return
    output["store"] = []
    for ds in files:
        status = assoc.send_c_store(ds)
        output["store"].append(int(status.Status) if status else None)
    request = Dataset()
    request.TransactionUID = args.transaction or generate_uid()
    output["transaction_uid"] = str(request.TransactionUID)
    pairs = [item.split("/", 1) for item in args.commit]
    if args.commit_stored:
        pairs = [[str(ds.SOPClassUID), str(ds.SOPInstanceUID)] for ds in files] + pairs
    items = []
    for sop_class, sop_instance in pairs:
        item = Dataset()
        item.ReferencedSOPClassUID = sop_class
        item.ReferencedSOPInstanceUID = sop_instance
        items.append(item)
    request.ReferencedSOPSequence = items
    status, _ = assoc.send_n_action(request, args.action_type, StorageCommitmentPushModel, WELL_KNOWN_INSTANCE)
    output["n_action_status"] = int(status.Status) if status else None
    if args.wait_same:
        if not received.wait(args.timeout):
            output["error"] = "no report on the same association within the timeout"
        elif not answered.wait(args.timeout):
            output["error"] = "the report was not answered within the timeout"
    release_within(assoc, 10, output)


def release_within(assoc, seconds, output):
    """assoc.release(), bounded. pynetdicom 3.0.4 can wait in it for ever for its reactor to pause
    after it served the N-EVENT-REPORT (seen in the test suite: the box, given no A-RELEASE, closed
    the connection after its idle time, and the script still hung); the script must end with what
    it received. The association's threads are daemons, so exiting does not wait for them."""
    releasing = threading.Thread(target=assoc.release, daemon=True)
    releasing.start()
    releasing.join(seconds)
    if releasing.is_alive():
        output["release"] = f"pynetdicom did not release within {seconds} s; the connection closes with this process"


if __name__ == "__main__":
    main()
