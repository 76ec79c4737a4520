import Foundation
import SwiftASN1
import Testing
import X509

@testable import CohortRPC

@Suite("Certificate requests and signing")
struct CertificateRequestTests {
    @Test("request writes a 0600 key and a CSR whose subject and SAN name the party")
    func requestWritesKeyAndCSR() async throws {
        try await withCertificateScratchDirectory { root in
            let directory = root.appendingPathComponent("site-a")
            let request = try CertificateRequest.create(role: .site, name: "hospital-a", outputDirectory: directory)
            #expect(request.keyURL == directory.appendingPathComponent("hospital-a.key.pem"))
            #expect(request.requestURL == directory.appendingPathComponent("hospital-a.csr.pem"))
            #expect(try filePermissions(of: request.keyURL) == 0o600)
            #expect(try filePermissions(of: directory) == 0o700)

            let csr = try CertificateRequest.read(at: request.requestURL)
            #expect(csr == request.signingRequest)
            #expect(csr.publicKey.isValidSignature(csr.signature, for: csr))
            #expect(csr.subject.commonName == "hospital-a")
            #expect(csr.subject.firstValue(of: .RDNAttributeType.organizationalUnitName) == "site")
            let names = try #require(try csr.attributes.extensionRequest?.extensions.subjectAlternativeNames)
            #expect(Array(names) == [.uniformResourceIdentifier("cohort://site/hospital-a")])

            // The key on disk is the one the request was made with.
            let key = try Certificate.PrivateKey(pemEncoded: try String(contentsOf: request.keyURL, encoding: .utf8))
            #expect(key.publicKey == csr.publicKey)
        }
    }

    @Test("request refuses to overwrite an existing key")
    func requestRefusesOverwrite() async throws {
        try await withCertificateScratchDirectory { root in
            let first = try CertificateRequest.create(role: .site, name: "a", outputDirectory: root)
            let before = try Data(contentsOf: first.keyURL)
            let error = await pkiError { try CertificateRequest.create(role: .site, name: "a", outputDirectory: root) }
            #expect(error?.code == .fileExists)
            #expect(error?.message.contains("a.key.pem") == true)
            #expect(try Data(contentsOf: first.keyURL) == before)
        }
    }

    @Test("names are letters, digits and .-_ of 1 to 64 characters",
          arguments: [("a", true), ("Hospital_B-2.east", true), (String(repeating: "x", count: 64), true),
                      ("", false), (String(repeating: "x", count: 65), false), ("a b", false), ("../x", false),
                      ("é", false), ("a/b", false), ("..", false)])
    func nameRules(name: String, valid: Bool) {
        #expect(((try? PartyIdentity(role: .site, name: name)) != nil) == valid)
    }

    @Test("an identity decoded from JSON is checked like one built in code")
    func decodingValidates() throws {
        let good = try JSONDecoder().decode(PartyIdentity.self, from: Data(#"{"role":"site","name":"a"}"#.utf8))
        #expect(good == (try PartyIdentity(role: .site, name: "a")))
        #expect(throws: DecodingError.self) {
            try JSONDecoder().decode(PartyIdentity.self, from: Data(#"{"role":"site","name":"../a"}"#.utf8))
        }
        let encoded = try JSONEncoder().encode(good)
        #expect(try JSONDecoder().decode(PartyIdentity.self, from: encoded) == good)
    }

    @Test("roles parse from their names and nothing else")
    func roleParsing() throws {
        #expect(try PartyRole(parsing: "researcher") == .researcher)
        #expect(throws: PKIError.self) { try PartyRole(parsing: "admin") }
    }

    @Test("hosts are for the orchestrator only, and it needs at least one")
    func hostRules() async throws {
        try await withCertificateScratchDirectory { root in
            let siteError = await pkiError {
                try CertificateRequest.create(role: .site, name: "a", outputDirectory: root, hosts: ["localhost"])
            }
            #expect(siteError?.code == .invalidHost)
            let none = await pkiError { try CertificateRequest.create(role: .orchestrator, name: "o", outputDirectory: root) }
            #expect(none?.code == .invalidHost)
            let bad = await pkiError {
                try CertificateRequest.create(role: .orchestrator, name: "o", outputDirectory: root, hosts: ["bad host!"])
            }
            #expect(bad?.code == .invalidHost)
            #expect(bad?.message.contains("bad host!") == true)
            let written = try FileManager.default.contentsOfDirectory(atPath: root.path)
            #expect(written.isEmpty)
        }
    }

    @Test("the orchestrator certificate carries the requested IP and DNS SANs and serverAuth")
    func orchestratorSANs() async throws {
        try await withCertificateScratchDirectory { root in
            let pki = try TestPKI(root: root)
            let issued = try pki.issue(.orchestrator, "hub", hosts: ["127.0.0.1", "localhost", "::1", "hub.example.org"])
            let names = try #require(try issued.certificate.extensions.subjectAlternativeNames)
            #expect(Array(names) == [
                .uniformResourceIdentifier("cohort://orchestrator/hub"),
                .ipAddress(ASN1OctetString(contentBytes: [127, 0, 0, 1])),
                .dnsName("localhost"),
                .ipAddress(ASN1OctetString(contentBytes: [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1])),
                .dnsName("hub.example.org"),
            ])
            let usages = try #require(try issued.certificate.extensions.extendedKeyUsage)
            #expect(usages.contains(.serverAuth) && usages.contains(.clientAuth))
            #expect(CertificateSummary(issued.certificate).alternativeNames
                == ["URI:cohort://orchestrator/hub", "IP:127.0.0.1", "DNS:localhost", "IP:::1", "DNS:hub.example.org"])
            let identity = try await PartyIdentity.verify(
                certificateChain: [issued.certificate], trustedCA: pki.ca.certificate, allowing: [.orchestrator],
                purpose: .serverAuthentication)
            #expect(identity.role == .orchestrator && identity.name == "hub")
        }
    }

    @Test("a site certificate has clientAuth only, digitalSignature, CA:false, key identifiers and a random serial")
    func siteCertificateExtensions() async throws {
        try await withCertificateScratchDirectory { root in
            let pki = try TestPKI(root: root)
            let first = try pki.issue(.site, "hospital-a").certificate
            let second = try pki.issue(.site, "hospital-b").certificate
            #expect(first.subject.commonName == "hospital-a")
            #expect(first.issuer == pki.ca.certificate.subject)
            #expect(Array(try #require(try first.extensions.extendedKeyUsage)) == [.clientAuth])
            let keyUsage = try #require(try first.extensions.keyUsage)
            #expect(keyUsage.digitalSignature && !keyUsage.keyCertSign && !keyUsage.keyEncipherment)
            #expect(try first.extensions.basicConstraints == .notCertificateAuthority)
            #expect(try first.extensions.authorityKeyIdentifier?.keyIdentifier
                == (try pki.ca.certificate.extensions.subjectKeyIdentifier?.keyIdentifier))
            #expect(try first.extensions.subjectKeyIdentifier?.keyIdentifier == SubjectKeyIdentifier(hash: first.publicKey).keyIdentifier)
            #expect(first.serialNumber != second.serialNumber)
            #expect(first.serialNumber.bytes.count >= 16)
            let lifetime = first.notValidAfter.timeIntervalSince(Date())
            #expect(abs(lifetime - 365 * 86_400) < 600)
        }
    }

    @Test("a CSR whose bytes were altered after signing is refused at signing, naming the file")
    func tamperedRequestRefused() async throws {
        try await withCertificateScratchDirectory { root in
            let pki = try TestPKI(root: root)
            let request = try CertificateRequest.create(role: .site, name: "hospital-a", outputDirectory: pki.partyDirectory("a"))
            // Rename the party inside the signed bytes: it still parses, but the signature no longer holds.
            let pem = try String(contentsOf: request.requestURL, encoding: .utf8)
            let renamed = try tamperedPEM(pem) { bytes in
                var edits = 0
                while let index = byteOffset(of: Array("hospital-a".utf8), in: bytes) {
                    bytes[index + 9] = UInt8(ascii: "b")
                    edits += 1
                }
                try #require(edits == 2)  // the CN and the URI SAN
            }
            let tampered = root.appendingPathComponent("tampered.csr.pem")
            try renamed.write(to: tampered, atomically: true, encoding: .utf8)
            _ = try CertificateRequest.read(at: tampered)  // still a well-formed request

            let error = await pkiError { try FederationCA.sign(requestAt: tampered, caDirectory: pki.caDirectory) }
            #expect(error?.code == .badSignature)
            #expect(error?.message.contains(tampered.path) == true)
            #expect(!FileManager.default.fileExists(atPath: root.appendingPathComponent("hospital-b.cert.pem").path))
        }
    }

    @Test("a request that is not PEM is refused as malformed, naming the file")
    func garbageRequestRefused() async throws {
        try await withCertificateScratchDirectory { root in
            let pki = try TestPKI(root: root)
            let url = root.appendingPathComponent("junk.csr.pem")
            try "not a request".write(to: url, atomically: true, encoding: .utf8)
            let error = await pkiError { try FederationCA.sign(requestAt: url, caDirectory: pki.caDirectory) }
            #expect(error?.code == .malformed)
            #expect(error?.message.contains(url.path) == true)
        }
    }

    @Test("the CA refuses requests whose subject and SAN disagree, or a site asking for host names")
    func inconsistentRequestsRefused() async throws {
        try await withCertificateScratchDirectory { root in
            let pki = try TestPKI(root: root)
            let key = KeyAlgorithm.p256.generate()
            func signed(subject: PartyIdentity, names: [GeneralName]) throws -> CertificateSigningRequest {
                let extensions = try Certificate.Extensions { SubjectAlternativeNames(names) }
                return try CertificateSigningRequest(
                    version: .v1, subject: try DistinguishedName.party(subject), privateKey: key,
                    attributes: try .init([.init(ExtensionRequest(extensions: extensions))]))
            }
            let siteA = try PartyIdentity(role: .site, name: "a")
            let impostor = try signed(subject: siteA, names: [.uniformResourceIdentifier("cohort://site/b")])
            let mismatch = await pkiError { _ = try pki.ca.issue(for: impostor, source: "impostor.csr.pem", validity: .days(1)) }
            #expect(mismatch?.code == .invalidRequest)
            #expect(mismatch?.message.contains("impostor.csr.pem") == true)

            let twoIdentities = try signed(
                subject: siteA, names: [.uniformResourceIdentifier("cohort://site/a"), .uniformResourceIdentifier("cohort://orchestrator/a")])
            #expect(await pkiError { _ = try pki.ca.issue(for: twoIdentities, source: "two", validity: .days(1)) }?.code
                == .invalidRequest)

            let siteWithHost = try signed(
                subject: siteA, names: [.uniformResourceIdentifier("cohort://site/a"), .dnsName("orchestrator.example.org")])
            let hostError = await pkiError { _ = try pki.ca.issue(for: siteWithHost, source: "host", validity: .days(1)) }
            #expect(hostError?.code == .invalidRequest)
            #expect(hostError?.message.contains("DNS:orchestrator.example.org") == true)
        }
    }

    @Test("the CA refuses a validity that would outlive it")
    func validityCappedByCA() async throws {
        try await withCertificateScratchDirectory { root in
            let ca = try FederationCA.initialize(directory: root.appendingPathComponent("pki"), validity: .days(30))
            let request = try CertificateRequest.create(role: .researcher, name: "r", outputDirectory: root)
            let error = await pkiError {
                try FederationCA.sign(requestAt: request.requestURL, caDirectory: ca.directory, validity: .days(31))
            }
            #expect(error?.code == .invalidValidity)
            try FederationCA.sign(requestAt: request.requestURL, caDirectory: ca.directory, validity: .days(29))
        }
    }

    @Test("signing a new site leaves every other certificate untouched; re-signing needs replacing")
    func signingIsolation() async throws {
        try await withCertificateScratchDirectory { root in
            let pki = try TestPKI(root: root)
            let first = try pki.issue(.site, "hospital-a")
            let bytesBefore = try Data(contentsOf: first.url)
            let caBefore = try Data(contentsOf: pki.caDirectory.appendingPathComponent("ca.cert.pem"))
            try pki.issue(.site, "hospital-b")
            try pki.issue(.researcher, "alice")
            #expect(try Data(contentsOf: first.url) == bytesBefore)
            #expect(try Data(contentsOf: pki.caDirectory.appendingPathComponent("ca.cert.pem")) == caBefore)
            #expect(try FileManager.default.contentsOfDirectory(atPath: pki.caDirectory.path).sorted() == ["ca.cert.pem", "ca.key.pem"])
            let identity = try await PartyIdentity.verify(certificateChain: [first.certificate], trustedCA: pki.ca.certificate)
            #expect(identity.name == "hospital-a")

            let requestURL = pki.partyDirectory("hospital-a").appendingPathComponent("hospital-a.csr.pem")
            let again = await pkiError { try FederationCA.sign(requestAt: requestURL, caDirectory: pki.caDirectory) }
            #expect(again?.code == .fileExists)
            #expect(try Data(contentsOf: first.url) == bytesBefore)
            let renewed = try FederationCA.sign(requestAt: requestURL, caDirectory: pki.caDirectory, replacing: true)
            #expect(try PEMFile.readCertificate(at: first.url) == renewed.certificate)
        }
    }
}
