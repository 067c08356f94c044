import DICOMNetwork

extension ConfigurationKey {
    /// The DICOM listener's keys.
    static let dicom: [ConfigurationKey] = [
        ConfigurationKey(
            name: "dicom.enabled", kind: .boolean, defaultValue: "true",
            summary: "Run the DICOM listener (C-ECHO, C-STORE and Storage Commitment SCP) in `fluorobox serve`."
        ) { configuration, value throws(ConfigurationError) in
            configuration.dicom.enabled = try value.boolean()
        },
        ConfigurationKey(
            name: "dicom.port", kind: .number, defaultValue: "104",
            summary: "TCP port of the DICOM listener: 104 is DICOM's well-known port that modalities are preset to (needs root or CAP_NET_BIND_SERVICE); 0 picks a free port. The port in use is in run/agent.json. `--dicom-port` overrides it."
        ) { configuration, value throws(ConfigurationError) in
            configuration.dicom.port = try value.integer(in: 0...65535)
        },
        ConfigurationKey(
            name: "dicom.bindAddress", kind: .string, defaultValue: "0.0.0.0",
            summary: "Address the DICOM listener binds to; 127.0.0.1 keeps it local."
        ) { configuration, value throws(ConfigurationError) in
            guard let address = try value.optionalText() else { throw value.invalid("must not be empty") }
            configuration.dicom.bindAddress = address
        },
        ConfigurationKey(
            name: "dicom.aeTitle", kind: .string, defaultValue: "FLUOROBOX",
            summary: "The box's AE title; associations calling any other title are rejected."
        ) { configuration, value throws(ConfigurationError) in
            let title = try value.text().trimmingCharacters(in: .whitespaces)
            guard DICOMListenerSettings.isValidAETitle(title) else {
                throw value.invalid("\"\(title)\" is not an AE title (1 to 16 printable characters, no backslash)")
            }
            configuration.dicom.aeTitle = title
        },
        ConfigurationKey(
            name: "dicom.acceptedCallingAETitles", kind: .stringList, defaultValue: "",
            summary: "Calling AE titles (the modalities) allowed to send; empty accepts any."
        ) { configuration, value throws(ConfigurationError) in
            let titles = try value.list()
            for title in titles where !DICOMListenerSettings.isValidAETitle(title) {
                throw value.invalid("\"\(title)\" is not an AE title (1 to 16 printable characters, no backslash)")
            }
            configuration.dicom.acceptedCallingAETitles = titles
        },
        ConfigurationKey(
            name: "dicom.maxPDULength", kind: .number, defaultValue: "262144",
            summary: "Largest P-DATA PDU the listener advertises and accepts (4096 to 16777216 bytes); larger PDUs mean fewer headers per image."
        ) { configuration, value throws(ConfigurationError) in
            configuration.dicom.maximumPDULength = try value.integer(in: AcceptorConfiguration.pduLengthRange)
        },
        ConfigurationKey(
            name: "dicom.artimTimeoutSeconds", kind: .number, defaultValue: "30",
            summary: "Seconds to wait for the association request after a connection opens, and for the peer to close after a release (ARTIM)."
        ) { configuration, value throws(ConfigurationError) in
            configuration.dicom.artimTimeoutSeconds = try value.positive()
        },
        ConfigurationKey(
            name: "dicom.idleTimeoutSeconds", kind: .number, defaultValue: "120",
            summary: "Seconds an association may go without progress (a complete command or data set, or 64 KiB of data) before it is aborted; tiny fragments do not keep it open."
        ) { configuration, value throws(ConfigurationError) in
            configuration.dicom.idleTimeoutSeconds = try value.positive()
        },
        ConfigurationKey(
            name: "dicom.maxAssociations", kind: .number, defaultValue: "8",
            summary: "Negotiated associations served at once; more are rejected as transient (local limit exceeded) so the modality retries. Connections that have not associated yet do not count."
        ) { configuration, value throws(ConfigurationError) in
            configuration.dicom.maximumAssociations = try value.integer(in: 1...256)
        },
        ConfigurationKey(
            name: "dicom.maxPendingConnections", kind: .number, defaultValue: "32",
            summary: "Connections that have not associated yet held at once; more are closed at once. ARTIM closes those that stay silent."
        ) { configuration, value throws(ConfigurationError) in
            configuration.dicom.maximumPendingConnections = try value.integer(in: 1...1024)
        },
        ConfigurationKey(
            name: "dicom.maxAssociationsPerPeer", kind: .number, defaultValue: "4",
            summary: "Per peer IP address: associations open at once (more are rejected as transient, local limit exceeded), and separately connections not yet associated (more are closed at once)."
        ) { configuration, value throws(ConfigurationError) in
            configuration.dicom.maximumAssociationsPerPeer = try value.integer(in: 1...256)
        },
        ConfigurationKey(
            name: "dicom.maxInstanceBytes", kind: .number, defaultValue: "1073741824",
            summary: "Largest data set one C-STORE may carry; past it the box stops writing, drops the rest and answers 0xA700 (out of resources). The association stays usable."
        ) { configuration, value throws(ConfigurationError) in
            configuration.dicom.maximumInstanceBytes = try value.integer(in: 65_536...(16 << 30))
        },
        ConfigurationKey(
            name: "dicom.extraSOPClasses", kind: .stringList, defaultValue: "",
            summary: "Storage SOP class UIDs accepted besides the built-in image classes (radiography, fluoroscopy, secondary capture, CT, MR, US, NM)."
        ) { configuration, value throws(ConfigurationError) in
            configuration.dicom.extraSOPClasses = try value.list()
        },
        ConfigurationKey(
            name: "dicom.peers", kind: .stringList, defaultValue: "",
            summary: "DICOM peers the box may open associations to, each `AE_TITLE=host:port` (IPv6 hosts in brackets). A storage commitment report whose association has ended goes to the peer with the requesting modality's AE title; without one it waits (and the log says so)."
        ) { configuration, value throws(ConfigurationError) in
            var peers: [DICOMPeer] = []
            for entry in try value.list() {
                let peer: DICOMPeer
                do {
                    peer = try DICOMPeer(parsing: entry)
                } catch {
                    throw value.invalid((error as? DICOMNetworkError)?.detail ?? "\(error)")
                }
                guard !peers.contains(where: { $0.aeTitle == peer.aeTitle }) else {
                    throw value.invalid("AE title \(peer.aeTitle) is listed twice")
                }
                peers.append(peer)
            }
            configuration.dicom.peers = peers
        },
        ConfigurationKey(
            name: "dicom.worklistModality", kind: .string, defaultValue: "DX",
            summary: "Modality (0008,0060) of the modality worklist items the box makes from registrations, e.g. DX, CR or MG."
        ) { configuration, value throws(ConfigurationError) in
            let modality = try value.text().trimmingCharacters(in: .whitespaces).uppercased()
            guard (1...16).contains(modality.count), modality.allSatisfy({ ("A"..."Z").contains($0) || ("0"..."9").contains($0) || $0 == "_" }) else {
                throw value.invalid("\"\(modality)\" is not a modality code (1 to 16 of A-Z, 0-9, _)")
            }
            configuration.dicom.worklistModality = modality
        },
        ConfigurationKey(
            name: "dicom.worklistDays", kind: .number, defaultValue: "7",
            summary: "Days a registration stays on the modality worklist while no image arrives with its Accession Number; older ones drop off (the registration itself stays). A person on the platform's screening list is on the worklist from this many days before the due date until an image arrives with the entry's accession."
        ) { configuration, value throws(ConfigurationError) in
            configuration.dicom.worklistDays = try value.integer(in: 1...3650)
        },
    ]
}
