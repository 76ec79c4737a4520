import CohortFederation
import Foundation
import GRPCCore
import GRPCNIOTransportHTTP2Posix

/// `cohort orchestrator`: the two services behind mutual TLS, with role checks, until the
/// process ends.
public enum OrchestratorServer {
    /// Serves `configuration`; `onListening` gets the bound address (the port the system
    /// picked when the configuration says 0).
    public static func serve(
        _ configuration: OrchestratorConfiguration, log: @escaping @Sendable (String) -> Void,
        onListening: @escaping @Sendable (String, Int) -> Void
    ) async throws {
        let credentials = try PartyCredentials(
            certificate: configuration.pki.certificate.url, privateKey: configuration.pki.key.url,
            federationCA: configuration.pki.ca.url)
        let limits = MessageLimits(maxMessageBytes: configuration.maxMessageBytes, chunkBytes: configuration.chunkBytes)
        let orchestrator = try Orchestrator(
            options: .init(stateDirectory: configuration.state.url, limits: limits,
                           siteWaitSeconds: configuration.siteWaitSeconds, heartbeatSeconds: configuration.heartbeatSeconds),
            log: log)
        await orchestrator.start()
        let transport = try HTTP2ServerTransport.Posix.mutualTLS(
            host: configuration.listen.host, port: configuration.listen.port, credentials: credentials, limits: limits,
            onRefusal: { log("refused a connection: \($0.message)") })
        let server = GRPCServer(
            transport: transport,
            services: [SiteServiceHandler(orchestrator: orchestrator, log: log), ResearcherServiceHandler(orchestrator: orchestrator)],
            interceptors: [RoleAuthorization.federation])
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await server.serve() }
            if let address = try await server.listeningAddress {
                let port = address.ipv4?.port ?? address.ipv6?.port ?? configuration.listen.port
                onListening(configuration.listen.host, port)
            }
            try await group.next()
        }
    }
}
