import Foundation
import Testing
import X509

@testable import CohortRPC

@Suite("Verifying party certificates")
struct CertificateVerificationTests {
    @Test("init → request → sign → verify gives the role and name", arguments: PartyRole.allCases)
    func roundTrip(role: PartyRole) async throws {
        try await withCertificateScratchDirectory { root in
            let pki = try TestPKI(root: root)
            let issued = try pki.issue(role, "party-1", hosts: role == .orchestrator ? ["127.0.0.1"] : [])
            #expect(issued.url == pki.partyDirectory("party-1").appendingPathComponent("party-1.cert.pem"))
            let pem = try String(contentsOf: issued.url, encoding: .utf8)
            let trusted = try PEMFile.readCertificate(at: pki.caDirectory.appendingPathComponent("ca.cert.pem"))
            let identity = try await PartyIdentity.verify(certificatePEM: pem, trustedCA: trusted)
            #expect(identity.role == role)
            #expect(identity.name == "party-1")
            #expect(identity.uri == "cohort://\(role)/party-1")
        }
    }

    @Test("PEM round trip: the written certificate parses back to the same certificate, and verifies from DER")
    func pemRoundTrip() async throws {
        try await withCertificateScratchDirectory { root in
            let pki = try TestPKI(root: root)
            let issued = try pki.issue(.researcher, "alice")
            let text = try String(contentsOf: issued.url, encoding: .utf8)
            #expect(text.hasPrefix("-----BEGIN CERTIFICATE-----"))
            let parsed = try Certificate(pemEncoded: text)
            #expect(parsed == issued.certificate)
            #expect(try parsed.serializeAsPEM().pemString + "\n" == text)
            let der = try parsed.serializeAsPEM().derBytes
            let identity = try await PartyIdentity.verify(certificateDER: [der], trustedCA: pki.ca.certificate)
            #expect(identity == (try PartyIdentity(role: .researcher, name: "alice")))
        }
    }

    @Test("a certificate from another CA is refused as foreign, naming it — even if the CAs share a name")
    func foreignCertificateRefused() async throws {
        try await withCertificateScratchDirectory { root in
            let ours = try TestPKI(root: root.appendingPathComponent("ours"), name: "same")
            let theirs = try TestPKI(root: root.appendingPathComponent("theirs"), name: "same")
            let intruder = try theirs.issue(.site, "hospital-x").certificate
            let error = await pkiError {
                _ = try await PartyIdentity.verify(
                    certificateChain: [intruder], trustedCA: ours.ca.certificate, source: "peer 10.0.0.9")
            }
            #expect(error?.code == .foreignCertificate)
            let message = error?.message ?? ""
            #expect(message.contains("foreign certificate"))
            #expect(message.contains("CN=hospital-x"))
            #expect(message.contains(intruder.serialNumber.hex))
            #expect(message.hasPrefix("peer 10.0.0.9: "))
            #expect(message.contains("same issuer name"))
        }
    }

    @Test("an expired certificate is refused, naming it and its expiry")
    func expiredRefused() async throws {
        try await withCertificateScratchDirectory { root in
            let now = Date()
            let pki = try TestPKI(root: root, caValidity: .between(now.addingTimeInterval(-30 * 86_400), now.addingTimeInterval(86_400)))
            let notAfter = now.addingTimeInterval(-86_400)
            let expired = try pki.issue(.site, "old-site", validity: .between(now.addingTimeInterval(-10 * 86_400), notAfter))
            let error = await pkiError {
                _ = try await PartyIdentity.verify(certificateChain: [expired.certificate], trustedCA: pki.ca.certificate, now: now)
            }
            #expect(error?.code == .expired)
            #expect(error?.message.contains("CN=old-site") == true)
            #expect(error?.message.contains(expired.certificate.serialNumber.hex) == true)
            // The date as X.509 stores it: whole seconds.
            let stored = expired.certificate.notValidAfter
            #expect(abs(stored.timeIntervalSince(notAfter)) < 1)
            #expect(error?.message.contains("expired on \(stored.formatted(.iso8601))") == true)

            // The same certificate verifies at a time inside its period.
            let earlier = try await PartyIdentity.verify(
                certificateChain: [expired.certificate], trustedCA: pki.ca.certificate, now: now.addingTimeInterval(-5 * 86_400))
            #expect(earlier.name == "old-site")
        }
    }

    @Test("a not-yet-valid certificate is refused, naming it and its start")
    func notYetValidRefused() async throws {
        try await withCertificateScratchDirectory { root in
            let pki = try TestPKI(root: root)
            let now = Date()
            let future = try pki.issue(.site, "early", validity: .between(now.addingTimeInterval(86_400), now.addingTimeInterval(10 * 86_400)))
            let error = await pkiError {
                _ = try await PartyIdentity.verify(certificateChain: [future.certificate], trustedCA: pki.ca.certificate, now: now)
            }
            #expect(error?.code == .notYetValid)
            #expect(error?.message.contains("CN=early") == true)
            #expect(error?.message.contains("not valid until \(future.certificate.notValidBefore.formatted(.iso8601))") == true)
        }
    }

    @Test("a site certificate where the orchestrator is required is refused as the wrong role")
    func wrongRoleRefused() async throws {
        try await withCertificateScratchDirectory { root in
            let pki = try TestPKI(root: root)
            let site = try pki.issue(.site, "hospital-a").certificate
            for purpose in [PartyIdentity.Purpose.serverAuthentication, .clientAuthentication] {
                let error = await pkiError {
                    _ = try await PartyIdentity.verify(
                        certificateChain: [site], trustedCA: pki.ca.certificate, allowing: [.orchestrator], purpose: purpose)
                }
                #expect(error?.code == .wrongRole)
                #expect(error?.message.contains("CN=hospital-a") == true)
                #expect(error?.message.contains("site 'hospital-a'") == true)
                #expect(error?.message.contains("orchestrator") == true)
            }
            // And a researcher may not present itself for an RPC only sites may call.
            let researcher = try PartyIdentity(role: .researcher, name: "alice")
            #expect(throws: PKIError.self) { try researcher.require([.site], for: "SubmitUpdate") }
            try researcher.require([.researcher], for: "SubmitRun")
        }
    }

    @Test("a site certificate cannot act as a TLS server even where sites are allowed")
    func siteIsNotAServer() async throws {
        try await withCertificateScratchDirectory { root in
            let pki = try TestPKI(root: root)
            let site = try pki.issue(.site, "hospital-a").certificate
            let error = await pkiError {
                _ = try await PartyIdentity.verify(
                    certificateChain: [site], trustedCA: pki.ca.certificate, purpose: .serverAuthentication)
            }
            #expect(error?.code == .wrongUsage)
            #expect(error?.message.contains("serverAuth") == true)
        }
    }

    @Test("the CA certificate itself is not accepted as a party")
    func caIsNotAParty() async throws {
        try await withCertificateScratchDirectory { root in
            let pki = try TestPKI(root: root)
            let error = await pkiError {
                _ = try await PartyIdentity.verify(certificateChain: [pki.ca.certificate], trustedCA: pki.ca.certificate)
            }
            #expect(error?.code == .untrusted)
            #expect(error?.message.contains("no Cohort identity") == true)
        }
    }

    @Test("a certificate with its signature bytes altered is refused")
    func tamperedCertificateRefused() async throws {
        try await withCertificateScratchDirectory { root in
            let pki = try TestPKI(root: root)
            let issued = try pki.issue(.site, "hospital-a")
            let pem = try String(contentsOf: issued.url, encoding: .utf8)
            // Change the name inside the signed part: "hospital-a" → "hospital-b" everywhere.
            let renamed = try tamperedPEM(pem) { bytes in
                while let index = byteOffset(of: Array("hospital-a".utf8), in: bytes) { bytes[index + 9] = UInt8(ascii: "b") }
            }
            let error = await pkiError {
                _ = try await PartyIdentity.verify(certificatePEM: renamed, trustedCA: pki.ca.certificate)
            }
            #expect(error?.code == .foreignCertificate)
            #expect(error?.message.contains("CN=hospital-b") == true)
        }
    }

    @Test("a file that holds no certificate is refused as malformed")
    func noCertificate() async throws {
        try await withCertificateScratchDirectory { root in
            let pki = try TestPKI(root: root)
            let request = try CertificateRequest.create(role: .site, name: "s", outputDirectory: root)
            let error = await pkiError {
                _ = try await PartyIdentity.verify(
                    certificatePEM: try String(contentsOf: request.requestURL, encoding: .utf8), trustedCA: pki.ca.certificate,
                    source: request.requestURL.path)
            }
            #expect(error?.code == .malformed)
            #expect(error?.message.contains("CERTIFICATE REQUEST") == true)
        }
    }
}
