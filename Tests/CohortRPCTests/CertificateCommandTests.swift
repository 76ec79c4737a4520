import Foundation
import Testing
import CohortTestSupport

/// `cohort certs init/request/sign/show/verify`, run as real processes on the built binary.
@Suite("cohort certs (real process)")
struct CertificateCommandTests {
    @Test("init, request, sign, show and verify a site and an orchestrator from the command line")
    func fullFlow() async throws {
        try await withCertificateScratchDirectory { root in
            let pki = root.appendingPathComponent("pki").path
            let init_ = try CohortProcess.run(["certs", "init", "--dir", pki, "--name", "east", "--days", "100"], in: root)
            try #require(init_.status == 0, "stderr: \(init_.standardError)")
            #expect(try filePermissions(of: root.appendingPathComponent("pki/ca.key.pem")) == 0o600)

            let again = try CohortProcess.run(["certs", "init", "--dir", pki], in: root)
            #expect(again.status != 0)
            #expect(again.standardError.contains("ca.key.pem"))

            let site = try CohortProcess.run(
                ["certs", "request", "--role", "site", "--name", "hospital-a", "--out", "site-a"], in: root)
            try #require(site.status == 0, "stderr: \(site.standardError)")
            #expect(try filePermissions(of: root.appendingPathComponent("site-a/hospital-a.key.pem")) == 0o600)
            let hub = try CohortProcess.run(
                ["certs", "request", "--role", "orchestrator", "--name", "hub", "--out", "hub",
                 "--host", "127.0.0.1", "--host", "localhost"], in: root)
            try #require(hub.status == 0, "stderr: \(hub.standardError)")

            let signSite = try CohortProcess.run(["certs", "sign", "site-a/hospital-a.csr.pem", "--ca", pki, "--days", "30"], in: root)
            try #require(signSite.status == 0, "stderr: \(signSite.standardError)")
            #expect(FileManager.default.fileExists(atPath: root.appendingPathComponent("site-a/hospital-a.cert.pem").path))
            let signHub = try CohortProcess.run(["certs", "sign", "hub/hub.csr.pem", "--ca", pki, "--days", "60", "--out", "hub/server.pem"], in: root)
            try #require(signHub.status == 0, "stderr: \(signHub.standardError)")

            let show = try CohortProcess.run(["certs", "show", "hub/server.pem"], in: root)
            try #require(show.status == 0, "stderr: \(show.standardError)")
            for expected in ["role:        orchestrator", "name:        hub", "IP:127.0.0.1", "DNS:localhost",
                             "URI:cohort://orchestrator/hub", "issuer:      CN=Cohort federation CA east", "SHA-256:", "serverAuth"] {
                #expect(show.standardOutput.contains(expected), "missing '\(expected)' in:\n\(show.standardOutput)")
            }

            let verify = try CohortProcess.run(["certs", "verify", "site-a/hospital-a.cert.pem", "--ca", pki, "--role", "site"], in: root)
            #expect(verify.status == 0, "stderr: \(verify.standardError)")
            #expect(verify.standardOutput.contains("site 'hospital-a'"))
            let wrongRole = try CohortProcess.run(
                ["certs", "verify", "site-a/hospital-a.cert.pem", "--ca", pki, "--role", "orchestrator"], in: root)
            #expect(wrongRole.status != 0)
            #expect(wrongRole.standardError.contains("CN=hospital-a"))

            // A certificate may not outlive its CA (valid for 100 days here).
            let tooLong = try CohortProcess.run(["certs", "sign", "hub/hub.csr.pem", "--ca", pki, "--days", "365", "--out", "x.pem"], in: root)
            #expect(tooLong.status != 0)
            #expect(tooLong.standardError.contains("outlive"))
        }
    }

    @Test("request and sign refuse bad input with messages that name it")
    func refusals() async throws {
        try await withCertificateScratchDirectory { root in
            let badRole = try CohortProcess.run(["certs", "request", "--role", "admin", "--name", "x", "--out", "x"], in: root)
            #expect(badRole.status != 0)
            #expect(badRole.standardError.contains("admin"))
            let badName = try CohortProcess.run(["certs", "request", "--role", "site", "--name", "a/b", "--out", "x"], in: root)
            #expect(badName.status != 0)
            #expect(badName.standardError.contains("a/b"))
            let noCA = try CohortProcess.run(["certs", "sign", "missing.csr.pem", "--ca", "nowhere"], in: root)
            #expect(noCA.status != 0)
            #expect(noCA.standardError.contains("nowhere"))
        }
    }
}

