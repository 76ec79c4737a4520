import CohortFederation
import Foundation
import Testing

/// `orchestrator.yaml` and `site.yaml` load as plans and policies do: defaults, paths resolved
/// against the file's folder, and errors naming the file, the line and the field.
@Suite("Deployment files: orchestrator.yaml and site.yaml")
struct DeploymentFileTests {
    func write(_ text: String, named name: String) throws -> URL {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("cohort-deploy-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let url = folder.appendingPathComponent(name)
        try text.write(to: url, atomically: true, encoding: .utf8)
        return url
    }

    @Test("an orchestrator file gets its defaults and its paths resolved against its folder")
    func orchestratorDefaults() throws {
        let url = try write("""
            listen: 0.0.0.0:7443
            pki: {ca: pki/ca.cert.pem, certificate: o/o.cert.pem, key: o/o.key.pem}
            state: state
            """, named: "orchestrator.yaml")
        defer { try? FileManager.default.removeItem(at: url.deletingLastPathComponent()) }
        let configuration = try OrchestratorConfiguration.load(from: url)
        #expect(configuration.listen == HostPort(host: "0.0.0.0", port: 7443))
        #expect(configuration.state.url == url.deletingLastPathComponent().appendingPathComponent("state").standardizedFileURL)
        #expect(configuration.pki.key.url.path.hasSuffix("/o/o.key.pem"))
        #expect(configuration.siteWaitSeconds == 30 && configuration.heartbeatSeconds == 10)
        #expect(configuration.maxMessageBytes == 8 * 1024 * 1024 && configuration.chunkBytes == 1024 * 1024)
    }

    @Test("unknown fields, a bad address and a bad value are errors naming the file, the line and the field",
          arguments: [
            ("listen: 127.0.0.1:7443\npki: {ca: a, certificate: b, key: c}\nstate: s\nport: 3\n", "port"),
            ("listen: 127.0.0.1\npki: {ca: a, certificate: b, key: c}\nstate: s\n", "listen"),
            ("listen: 127.0.0.1:7443\npki: {ca: a, certificate: b, key: c}\nstate: s\nheartbeat_seconds: 0\n", "heartbeat_seconds"),
            ("listen: 127.0.0.1:7443\npki: {ca: a, key: c}\nstate: s\n", "pki.certificate"),
          ])
    func orchestratorErrors(text: String, field: String) throws {
        let url = try write(text, named: "orchestrator.yaml")
        defer { try? FileManager.default.removeItem(at: url.deletingLastPathComponent()) }
        do {
            _ = try OrchestratorConfiguration.load(from: url)
            Issue.record("accepted a bad file")
        } catch {
            #expect(error.message.contains(url.path) && error.message.contains("'\(field)'"), "\(error.message)")
        }
    }

    @Test("a site file names its policy, the orchestrator, its certificate and its state; reconnect delays are checked")
    func siteFile() throws {
        let url = try write("""
            policy: policy.yaml
            orchestrator: orchestrator.example.org:7443
            pki: {ca: ca.pem, certificate: me.pem, key: me.key}
            state: state
            reconnect: {initial_seconds: 1, maximum_seconds: 8}
            """, named: "site.yaml")
        defer { try? FileManager.default.removeItem(at: url.deletingLastPathComponent()) }
        let configuration = try SiteConfiguration.load(from: url)
        #expect(configuration.orchestrator.host == "orchestrator.example.org" && configuration.orchestrator.port == 7443)
        #expect(configuration.policy.url.deletingLastPathComponent().standardizedFileURL == url.deletingLastPathComponent().standardizedFileURL)
        #expect(configuration.reconnectInitialSeconds == 1 && configuration.reconnectMaximumSeconds == 8)
        #expect(configuration.releaseIdleRunsAfterSeconds == 1800)

        let idle = try write("""
            policy: policy.yaml
            orchestrator: host:7443
            pki: {ca: ca.pem, certificate: me.pem, key: me.key}
            state: state
            release_idle_runs_after_seconds: 600
            """, named: "site.yaml")
        defer { try? FileManager.default.removeItem(at: idle.deletingLastPathComponent()) }
        #expect(try SiteConfiguration.load(from: idle).releaseIdleRunsAfterSeconds == 600)
        let tooShort = try write("""
            policy: policy.yaml
            orchestrator: host:7443
            pki: {ca: ca.pem, certificate: me.pem, key: me.key}
            state: state
            release_idle_runs_after_seconds: 0
            """, named: "site.yaml")
        defer { try? FileManager.default.removeItem(at: tooShort.deletingLastPathComponent()) }
        let error = #expect(throws: SitePolicyError.self) { try SiteConfiguration.load(from: tooShort) }
        #expect(error?.description.contains("release_idle_runs_after_seconds") == true, "\(String(describing: error))")

        let bad = try write("""
            policy: policy.yaml
            orchestrator: host:7443
            pki: {ca: ca.pem, certificate: me.pem, key: me.key}
            state: state
            reconnect: {initial_seconds: 9, maximum_seconds: 8}
            """, named: "site.yaml")
        defer { try? FileManager.default.removeItem(at: bad.deletingLastPathComponent()) }
        #expect(throws: SitePolicyError.self) { try SiteConfiguration.load(from: bad) }
    }

    @Test("HOST:PORT parses IPv4, names and bracketed IPv6, and refuses what is not an address")
    func hostPort() {
        #expect(HostPort("127.0.0.1:7443") == HostPort(host: "127.0.0.1", port: 7443))
        #expect(HostPort("[::1]:8443") == HostPort(host: "::1", port: 8443))
        #expect(HostPort("[::1]:8443")?.description == "[::1]:8443")
        for text in ["127.0.0.1", ":7443", "host:", "host:70000", "host:-1"] { #expect(HostPort(text) == nil, "\(text)") }
    }
}
