"""A PACS as the box's C-STORE and storage commitment peer, with pynetdicom (the test suite runs it).

Accepts the storage SOP classes in the given transfer syntaxes (--syntaxes explicit: only
Explicit VR Little Endian; all: whatever is proposed) and the Storage Commitment Push Model.
Every instance received is written to --out as UID.dcm in the syntax it came in. After an
N-ACTION it answers success, then reports on the same association (--commit success: every
reference it holds committed, others failed; failure: every reference failed; silent: no report),
or, with --report-to AE@host:port, on a NEW association it opens to that AE (as Orthanc does),
proposing the SCP role for the push model (PS3.4 J.3.3.1.3) and calling as --report-ae (default
--ae). Appends one JSON object per event to --events: {"event": "store", ...} or
{"event": "report", ..., "answer": status or null, "association": "same" | "new" | "rejected"}.
Runs until killed.
"""

import argparse
import json
import os
import threading

from pydicom.dataset import Dataset
from pydicom.uid import ExplicitVRLittleEndian
from pydicom.uid import ImplicitVRLittleEndian
from pynetdicom import ALL_TRANSFER_SYNTAXES, AE, AllStoragePresentationContexts, build_role, evt
from pynetdicom.sop_class import StorageCommitmentPushModel, Verification

WELL_KNOWN_INSTANCE = "1.2.840.10008.1.20.1.1"
NO_SUCH_OBJECT_INSTANCE = 0x0112


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--ae", default="PACS")
    parser.add_argument("--out", required=True)
    parser.add_argument("--events", required=True)
    parser.add_argument("--syntaxes", choices=["explicit", "all"], default="all")
    parser.add_argument("--commit", choices=["success", "failure", "silent"], default="success")
    parser.add_argument("--report-to", help="AE@host:port: report on a new association to it")
    parser.add_argument("--report-ae", help="the calling AE title of that association (default --ae)")
    args = parser.parse_args()
    os.makedirs(args.out, exist_ok=True)
    lock = threading.Lock()
    held = set()

    def record(entry):
        with lock:
            with open(args.events, "a") as events:
                events.write(json.dumps(entry) + "\n")

    def handle_store(event):
        ds = event.dataset
        ds.file_meta = event.file_meta
        uid = str(ds.SOPInstanceUID)
        ds.save_as(os.path.join(args.out, uid + ".dcm"), enforce_file_format=True)
        with lock:
            held.add((str(ds.SOPClassUID), uid))
        record({"event": "store", "sop_instance_uid": uid, "transfer_syntax": str(event.context.transfer_syntax)})
        return 0x0000

    def report(assoc, request):
        references = [(str(i.ReferencedSOPClassUID), str(i.ReferencedSOPInstanceUID)) for i in request.ReferencedSOPSequence]
        with lock:
            committed = [r for r in references if args.commit == "success" and r in held]
        failed = [r for r in references if r not in committed]
        ds = Dataset()
        ds.TransactionUID = request.TransactionUID
        if committed:
            ds.ReferencedSOPSequence = [item(r) for r in committed]
        if failed:
            ds.FailedSOPSequence = [item(r, NO_SUCH_OBJECT_INSTANCE) for r in failed]
        event_type = 2 if failed else 1
        answered, association = None, "same"
        if args.report_to:
            answered, association = report_on_new_association(ds, event_type)
        else:
            status = assoc.send_n_event_report(ds, event_type, StorageCommitmentPushModel, WELL_KNOWN_INSTANCE)
            answered = status[0] if status else None
        record({
            "event": "report", "transaction_uid": str(request.TransactionUID), "committed": [r[1] for r in committed],
            "failed": [r[1] for r in failed], "answer": int(answered.Status) if answered else None,
            "association": association,
        })

    def report_on_new_association(ds, event_type):
        called, address = args.report_to.split("@", 1)
        host, port = address.rsplit(":", 1)
        reporter = AE(ae_title=args.report_ae or args.ae)
        reporter.add_requested_context(StorageCommitmentPushModel, [ExplicitVRLittleEndian, ImplicitVRLittleEndian])
        role = build_role(StorageCommitmentPushModel, scp_role=True)
        assoc = reporter.associate(host, int(port), ae_title=called, ext_neg=[role])
        if not assoc.is_established:
            return None, "rejected"
        try:
            status = assoc.send_n_event_report(ds, event_type, StorageCommitmentPushModel, WELL_KNOWN_INSTANCE)
        finally:
            if assoc.is_established:
                assoc.release()
        return (status[0] if status else None), "new"

    def handle_action(event):
        request = event.action_information
        record({"event": "n-action", "transaction_uid": str(request.TransactionUID)})
        if args.commit != "silent":
            # The N-ACTION-RSP goes out when this handler returns; the report follows it.
            threading.Timer(0.2, report, (event.assoc, request)).start()
        return 0x0000, None

    ae = AE(ae_title=args.ae)
    syntaxes = [ExplicitVRLittleEndian] if args.syntaxes == "explicit" else None
    for context in AllStoragePresentationContexts:
        if syntaxes:
            ae.add_supported_context(context.abstract_syntax, syntaxes)
        else:
            ae.add_supported_context(context.abstract_syntax, ALL_TRANSFER_SYNTAXES)
    ae.add_supported_context(StorageCommitmentPushModel)
    ae.add_supported_context(Verification)
    ae.maximum_associations = 4
    ae.start_server(
        ("127.0.0.1", args.port), block=True,
        evt_handlers=[(evt.EVT_C_STORE, handle_store), (evt.EVT_N_ACTION, handle_action)],
    )


def item(reference, reason=None):
    ds = Dataset()
    ds.ReferencedSOPClassUID, ds.ReferencedSOPInstanceUID = reference
    if reason is not None:
        ds.FailureReason = reason
    return ds


if __name__ == "__main__":
    main()
