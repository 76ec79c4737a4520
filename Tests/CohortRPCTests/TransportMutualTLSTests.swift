import Foundation
import GRPCCore
import GRPCNIOTransportHTTP2Posix
import Testing

@testable import CohortRPC

/// Mutual TLS over real TCP on 127.0.0.1: who gets through, and what a handler learns.
@Suite("Transport: mutual TLS", .timeLimit(.minutes(1)))
struct TransportMutualTLSTests {
    @Test("a CA-signed site certificate connects and the handler sees role site and its name")
    func siteCertificateReachesHandlerWithItsIdentity() async throws {
        try await withTransportPKI { pki in
            let record = ServerRecord()
            let reply = try await withTimeout(seconds: 30, "heartbeat") {
                try await withEchoServer(pki: pki, record: record) { port in
                    let transport = try HTTP2ClientTransport.Posix.mutualTLS(
                        host: "127.0.0.1", port: port, credentials: pki.site)
                    return try await withSiteClient(transport) { site in
                        try await site.heartbeat(.with { $0.activity = .idle }, options: testCallOptions)
                    }
                }
            }
            #expect(reply.siteID == "hospital-a")
            let hospitalA = try PartyIdentity(role: .site, name: "hospital-a")
            #expect(record.callers == [hospitalA])
            #expect(record.refusals.isEmpty)
        }
    }

    @Test("a site certificate from another CA is refused in the handshake, and the server names it")
    func foreignCertificateIsRefused() async throws {
        try await withTransportPKI { pki in
            let record = ServerRecord()
            let error = try await withTimeout(seconds: 30, "foreign heartbeat") {
                try await withEchoServer(pki: pki, record: record) { port in
                    let transport = try HTTP2ClientTransport.Posix.mutualTLS(
                        host: "127.0.0.1", port: port, credentials: pki.foreignSite)
                    return await rpcError {
                        _ = try await withSiteClient(transport) { site in
                            try await site.heartbeat(.with { $0.activity = .idle }, options: testCallOptions)
                        }
                    }
                }
            }
            // The client sees only a connection that could not be established: `unavailable`,
            // caused by the server's TLS alert `certificate_unknown`. The reason is on the server.
            #expect(error?.code == .unavailable)
            let cause = error.map { String(describing: $0.cause) } ?? ""
            #expect(cause.contains("CERTIFICATE_UNKNOWN"))
            #expect(record.callers.isEmpty)
            let refusal = try #require(record.refusals.first)
            #expect(refusal.code == .foreignCertificate)
            #expect(refusal.message.contains("CN=hospital-x"))
            #expect(refusal.message.contains("TLS client"))
        }
    }

    @Test("a client without a certificate is refused")
    func clientWithoutCertificateIsRefused() async throws {
        try await withTransportPKI { pki in
            let record = ServerRecord()
            let caPEM = pki.site.trustedCAPEM
            let error = try await withTimeout(seconds: 30, "anonymous heartbeat") {
                try await withEchoServer(pki: pki, record: record) { port in
                    // TLS that trusts the federation CA but presents nothing.
                    let transport = try HTTP2ClientTransport.Posix(
                        target: .ipv4(address: "127.0.0.1", port: port),
                        transportSecurity: .tls { $0.trustRoots = .certificates([.bytes(caPEM, format: .pem)]) })
                    return await rpcError {
                        _ = try await withSiteClient(transport) { site in
                            try await site.heartbeat(.with { $0.activity = .idle }, options: testCallOptions)
                        }
                    }
                }
            }
            // `unavailable`, caused by the server's TLS 1.3 alert `certificate_required`.
            #expect(error?.code == .unavailable)
            let cause = error.map { String(describing: $0.cause) } ?? ""
            #expect(cause.contains("CERTIFICATE_REQUIRED"))
            #expect(record.callers.isEmpty)
        }
    }

    @Test("a researcher certificate connects but may not call the site service")
    func researcherCannotCallSiteService() async throws {
        try await withTransportPKI { pki in
            let record = ServerRecord()
            let error = try await withTimeout(seconds: 30, "researcher heartbeat") {
                try await withEchoServer(pki: pki, record: record) { port in
                    let transport = try HTTP2ClientTransport.Posix.mutualTLS(
                        host: "127.0.0.1", port: port, credentials: pki.researcher)
                    return await rpcError {
                        _ = try await withSiteClient(transport) { site in
                            try await site.heartbeat(.with { $0.activity = .idle }, options: testCallOptions)
                        }
                    }
                }
            }
            #expect(error?.code == .permissionDenied)
            #expect(error?.message.contains("researcher 'dr-lee'") == true)
            #expect(record.callers.isEmpty)
        }
    }

}
