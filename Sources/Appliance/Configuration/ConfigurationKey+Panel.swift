import Panel

extension ConfigurationKey {
    /// The status panel's keys.
    static let panel: [ConfigurationKey] = [
        ConfigurationKey(
            name: "panel.enabled", kind: .boolean, defaultValue: "true",
            summary: "Serve the web status panel (and /healthz, /readyz, /metrics) in `fluorobox serve`."
        ) { configuration, value throws(ConfigurationError) in
            configuration.panel.enabled = try value.boolean()
        },
        ConfigurationKey(
            name: "panel.port", kind: .number, defaultValue: "8080",
            summary: "TCP port of the panel; 0 picks a free port (the port in use is in run/agent.json)."
        ) { configuration, value throws(ConfigurationError) in
            configuration.panel.port = try value.integer(in: 0...65535)
        },
        ConfigurationKey(
            name: "panel.bindAddress", kind: .string, defaultValue: "0.0.0.0",
            summary: "Address the panel binds to when it serves HTTPS (or plain HTTP with panel.plainHttpOnLan); without either it binds 127.0.0.1."
        ) { configuration, value throws(ConfigurationError) in
            guard let address = try value.optionalText() else { throw value.invalid("must not be empty") }
            configuration.panel.bindAddress = address
        },
        ConfigurationKey(
            name: "panel.sessionIdleSeconds", kind: .number, defaultValue: "28800",
            summary: "A panel login ends after this many seconds without a request."
        ) { configuration, value throws(ConfigurationError) in
            configuration.panel.sessionIdleSeconds = try value.positive()
        },
        ConfigurationKey(
            name: "panel.lockoutAttempts", kind: .number, defaultValue: "5",
            summary: "Wrong passwords from one client address before it has to wait between attempts (1 s, doubling with each further failure); a success resets the address."
        ) { configuration, value throws(ConfigurationError) in
            configuration.panel.lockoutAttempts = try value.integer(in: 1...100)
        },
        ConfigurationKey(
            name: "panel.lockoutSeconds", kind: .number, defaultValue: "300",
            summary: "The longest wait between login attempts from one client address."
        ) { configuration, value throws(ConfigurationError) in
            configuration.panel.lockoutSeconds = try value.positive()
        },
        ConfigurationKey(
            name: "panel.secureCookies", kind: .boolean, defaultValue: "true",
            summary: "Mark the session cookie Secure (sent only over HTTPS, or to localhost). Set false only when the panel is reached over plain HTTP on a trusted LAN."
        ) { configuration, value throws(ConfigurationError) in
            configuration.panel.secureCookies = try value.boolean()
        },
        ConfigurationKey(
            name: "panel.tlsCertificate", kind: .string, defaultValue: "",
            summary: "PEM file of the panel's HTTPS certificate (the box image makes one at first boot); with panel.tlsKey the panel serves HTTPS only, and its SHA-256 fingerprint is on the device page and in `fluorobox status`."
        ) { configuration, value throws(ConfigurationError) in
            configuration.panel.tlsCertificatePath = try value.optionalText()
        },
        ConfigurationKey(
            name: "panel.tlsKey", kind: .string, defaultValue: "",
            summary: "PEM file of the private key of panel.tlsCertificate (readable by the agent only)."
        ) { configuration, value throws(ConfigurationError) in
            configuration.panel.tlsKeyPath = try value.optionalText()
        },
        ConfigurationKey(
            name: "panel.plainHttpOnLan", kind: .boolean, defaultValue: "false",
            summary: "Serve plain HTTP on panel.bindAddress although no TLS certificate is set (a trusted bench network); otherwise such a panel listens on 127.0.0.1 only."
        ) { configuration, value throws(ConfigurationError) in
            configuration.panel.plainHTTPOnLAN = try value.boolean()
        },
    ]
}
