import Foundation
import GRPCCore
import GRPCNIOTransportHTTP2Posix
import Testing

@testable import CohortRPC

/// What the transport checks before any connection: limits, credentials, addresses.
@Suite("Transport: configuration")
struct TransportConfigurationTests {
    @Test("the default limits hold a chunk with room to spare; chunk counts round up")
    func defaultLimits() throws {
        let limits = MessageLimits.default
        try limits.validate()
        #expect(limits.maxMessageBytes == 8 * 1024 * 1024)
        #expect(limits.chunkCount(forPayloadBytes: 0) == 1)
        #expect(limits.chunkCount(forPayloadBytes: limits.chunkBytes) == 1)
        #expect(limits.chunkCount(forPayloadBytes: limits.chunkBytes + 4) == 2)
        #expect(limits.chunkCount(forPayloadBytes: 20 * 1024 * 1024) == 20)
    }

    @Test("limits whose chunk does not fit a message, or splits a float, are refused", arguments: [
        MessageLimits(maxMessageBytes: 1024 * 1024, chunkBytes: 1024 * 1024),
        MessageLimits(maxMessageBytes: 8 * 1024 * 1024, chunkBytes: 1023),
        MessageLimits(maxMessageBytes: 8 * 1024 * 1024, chunkBytes: 0),
    ])
    func inconsistentLimits(limits: MessageLimits) {
        #expect(throws: TransportConfigurationError.self) { try limits.validate() }
    }

    @Test("credentials load the party's identity; a key that is not the certificate's is refused")
    func credentials() async throws {
        try await withTransportPKI { pki in
            let hospitalA = try PartyIdentity(role: .site, name: "hospital-a")
            #expect(pki.site.identity == hospitalA)
            #expect(pki.orchestrator.identity.role == .orchestrator)
            let parties = pki.root.appendingPathComponent("parties")
            let error = #expect(throws: TransportConfigurationError.self) {
                _ = try PartyCredentials(
                    certificate: parties.appendingPathComponent("hospital-a/hospital-a.cert.pem"),
                    privateKey: parties.appendingPathComponent("dr-lee/dr-lee.key.pem"),
                    federationCA: pki.caCertificate)
            }
            #expect(error?.field.hasSuffix("dr-lee.key.pem") == true)
        }
    }

    @Test("only an orchestrator certificate can configure a server")
    func serverNeedsOrchestratorCertificate() async throws {
        try await withTransportPKI { pki in
            #expect(throws: TransportConfigurationError.self) {
                _ = try HTTP2ServerTransport.Posix.mutualTLS(host: "127.0.0.1", port: 0, credentials: pki.site)
            }
        }
    }

    @Test("a server listens on an IP address, not a name; a client cannot dial port 0")
    func addresses() async throws {
        try await withTransportPKI { pki in
            #expect(throws: TransportConfigurationError.self) {
                _ = try HTTP2ServerTransport.Posix.mutualTLS(host: "orchestrator.example", port: 7443, credentials: pki.orchestrator)
            }
            #expect(throws: TransportConfigurationError.self) {
                _ = try HTTP2ClientTransport.Posix.mutualTLS(host: "127.0.0.1", port: 0, credentials: pki.site)
            }
            #expect(throws: TransportConfigurationError.self) {
                _ = try HTTP2ClientTransport.Posix.mutualTLS(host: "bad host!", port: 7443, credentials: pki.site)
            }
            _ = try HTTP2ServerTransport.Posix.mutualTLS(host: "::1", port: 0, credentials: pki.orchestrator)
            _ = try HTTP2ClientTransport.Posix.mutualTLS(host: "localhost", port: 7443, credentials: pki.site)
        }
    }
}
