import Foundation
import PostgresNIO

extension PostgresHubStore {
    /// Where the region's database and the replicas' shared staging folder are.
    public struct Settings: Sendable {
        public var host: String
        public var port = 5432
        public var username: String
        public var password: String?
        public var database: String
        /// `sslmode` of the URL: `disable` (the default, loopback and private links), `prefer`
        /// or `require`.
        public var tls: PostgresClient.Configuration.TLS = .disable
        /// The folder every replica mounts: upload parts and completed instances.
        public var staging: String
        /// Connections per replica. Each instance chunk holds one for as long as its body
        /// streams (it holds the upload's row lock), so this caps concurrent chunks too.
        public var maximumConnections = 20
        /// How long a chunk waits for another replica's chunk of the same upload before the
        /// box is told 503 (it retries).
        public var lockTimeout: Duration = .seconds(30)
        /// How long a request waits for a pooled connection before the box is told 503: while
        /// PostgreSQL is down or restarting, answered at once rather than held.
        public var connectionWait: Duration = .seconds(5)
        /// Shown in pg_stat_activity: which replica holds a connection.
        public var applicationName = "fluorobox-hub"

        public init(host: String, port: Int = 5432, username: String, password: String? = nil, database: String, staging: String) {
            self.host = host
            self.port = port
            self.username = username
            self.password = password
            self.database = database
            self.staging = staging
        }

        /// `postgres://user[:password]@host[:port]/database[?sslmode=disable|prefer|require]`
        /// (also `postgresql://`).
        public init(url: String, staging: String) throws(HubError) {
            guard let components = URLComponents(string: url),
                  components.scheme == "postgres" || components.scheme == "postgresql",
                  let host = components.host, !host.isEmpty,
                  let user = components.user, !user.isEmpty
            else {
                throw HubError(.badRequest, "the database URL must read postgres://user[:password]@host[:port]/database, not \(Self.redacted(url))")
            }
            let database = String(components.path.drop(while: { $0 == "/" }))
            guard !database.isEmpty else {
                throw HubError(.badRequest, "the database URL \(Self.redacted(url)) names no database (…/DATABASE at its end)")
            }
            self.init(
                host: host, port: components.port ?? 5432, username: user,
                password: components.password?.removingPercentEncoding, database: database, staging: staging
            )
            for item in components.queryItems ?? [] {
                switch (item.name, item.value) {
                case ("sslmode", "disable"?): tls = .disable
                case ("sslmode", "prefer"?): tls = .prefer(.makeClientConfiguration())
                case ("sslmode", "require"?): tls = .require(.makeClientConfiguration())
                default:
                    throw HubError(.badRequest, "the database URL's \(item.name)=\(item.value ?? "") is not understood (sslmode=disable|prefer|require)")
                }
            }
        }

        /// The URL without its password, for messages and logs.
        public static func redacted(_ url: String) -> String {
            guard var components = URLComponents(string: url), components.password != nil else { return url }
            components.password = "***"
            return components.string ?? "(unreadable URL)"
        }

        var clientConfiguration: PostgresClient.Configuration {
            var configuration = PostgresClient.Configuration(
                host: host, port: port, username: username, password: password, database: database, tls: tls
            )
            configuration.options.maximumConnections = maximumConnections
            // "Accepted" must mean durable in PostgreSQL, whatever the server's default says.
            configuration.options.additionalStartupParameters = [
                ("synchronous_commit", "on"), ("application_name", applicationName),
            ]
            return configuration
        }
    }
}
