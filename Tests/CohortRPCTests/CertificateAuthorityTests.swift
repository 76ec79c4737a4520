import Foundation
import Testing
import X509

@testable import CohortRPC

@Suite("Federation CA")
struct CertificateAuthorityTests {
    @Test("init writes a 0600 key and a self-signed CA certificate with the CA extensions")
    func initializeWritesCA() async throws {
        try await withCertificateScratchDirectory { root in
            let directory = root.appendingPathComponent("pki")
            let ca = try FederationCA.initialize(directory: directory, name: "north-1")
            let keyURL = directory.appendingPathComponent("ca.key.pem")
            let certificateURL = directory.appendingPathComponent("ca.cert.pem")
            #expect(try filePermissions(of: keyURL) == 0o600)
            #expect(try String(contentsOf: keyURL, encoding: .utf8).hasPrefix("-----BEGIN PRIVATE KEY-----"))

            let certificate = try PEMFile.readCertificate(at: certificateURL)
            #expect(certificate == ca.certificate)
            #expect(certificate.subject.commonName == "Cohort federation CA north-1")
            #expect(certificate.issuer == certificate.subject)
            #expect(certificate.publicKey.isValidSignature(certificate.signature, for: certificate))
            #expect(try certificate.extensions.basicConstraints == .isCertificateAuthority(maxPathLength: 0))
            let keyUsage = try #require(try certificate.extensions.keyUsage)
            #expect(keyUsage.keyCertSign && keyUsage.cRLSign && !keyUsage.digitalSignature)
            #expect(certificate.extensions[oid: .X509ExtensionID.basicConstraints]?.critical == true)
            #expect(certificate.extensions[oid: .X509ExtensionID.keyUsage]?.critical == true)
            #expect(try certificate.extensions.subjectKeyIdentifier != nil)
            #expect(ca.federationName == "north-1")

            let loaded = try FederationCA.load(directory: directory)
            #expect(loaded.certificate == ca.certificate)
        }
    }

    @Test("init refuses to overwrite an existing CA, naming the file, and leaves it unchanged")
    func initializeRefusesOverwrite() async throws {
        try await withCertificateScratchDirectory { root in
            let directory = root.appendingPathComponent("pki")
            try FederationCA.initialize(directory: directory)
            let keyURL = directory.appendingPathComponent("ca.key.pem")
            let before = try Data(contentsOf: keyURL)
            let error = await pkiError { try FederationCA.initialize(directory: directory, name: "other") }
            #expect(error?.code == .fileExists)
            #expect(error?.message.contains(keyURL.path) == true)
            #expect(try Data(contentsOf: keyURL) == before)
        }
    }

    @Test("init refuses an invalid federation name", arguments: ["", "with space", "a/b", String(repeating: "x", count: 65)])
    func initializeRefusesBadName(name: String) async throws {
        try await withCertificateScratchDirectory { root in
            let error = await pkiError { try FederationCA.initialize(directory: root.appendingPathComponent("pki"), name: name) }
            #expect(error?.code == .invalidName)
            #expect(!FileManager.default.fileExists(atPath: root.appendingPathComponent("pki/ca.key.pem").path))
        }
    }

    @Test("load refuses a CA key that does not belong to the certificate")
    func loadRefusesMismatchedKey() async throws {
        try await withCertificateScratchDirectory { root in
            let first = root.appendingPathComponent("a"), second = root.appendingPathComponent("b")
            try FederationCA.initialize(directory: first)
            try FederationCA.initialize(directory: second)
            try FileManager.default.removeItem(at: first.appendingPathComponent("ca.key.pem"))
            try FileManager.default.copyItem(
                at: second.appendingPathComponent("ca.key.pem"), to: first.appendingPathComponent("ca.key.pem"))
            let error = await pkiError { _ = try FederationCA.load(directory: first) }
            #expect(error?.code == .keyMismatch)
        }
    }

    @Test("a P-384 CA signs P-256 party certificates that verify")
    func p384CA() async throws {
        try await withCertificateScratchDirectory { root in
            let ca = try FederationCA.initialize(directory: root.appendingPathComponent("pki"), keyAlgorithm: .p384)
            #expect(ca.certificate.signatureAlgorithm == .ecdsaWithSHA384)
            let request = try CertificateRequest.create(role: .site, name: "s1", outputDirectory: root.appendingPathComponent("s1"))
            let issued = try FederationCA.sign(requestAt: request.requestURL, caDirectory: ca.directory)
            let identity = try await PartyIdentity.verify(certificateChain: [issued.certificate], trustedCA: ca.certificate)
            #expect(identity == (try PartyIdentity(role: .site, name: "s1")))
        }
    }
}
