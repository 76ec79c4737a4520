import Foundation

/// A federation of real `cohort` processes on 127.0.0.1 for end-to-end tests, in a temporary
/// folder: a PKI made with `cohort certs` (the federation CA, an orchestrator, sites, the
/// researcher `dr-lee`, and a site certificate from a foreign CA), the bundled partitions of
/// Examples/federation/data, one policy and one configuration per site. Every process it
/// starts is killed when the federation is released.
public final class TestFederation: @unchecked Sendable {
    public let root: URL
    public let packageRoot: URL
    public let siteNames: [String]
    public let seed: Int
    public private(set) var orchestrator: BackgroundProcess?
    public private(set) var sites: [String: BackgroundProcess] = [:]
    /// The orchestrator's port, fixed by its first start (0 before).
    public private(set) var port = 0
    public var environment: [String: String]

    /// A federation with its PKI, data and policies written; no process runs yet.
    public static func make(sites: [String] = ["hospital-a", "hospital-b", "hospital-c"], seed: Int = 7) async throws -> TestFederation {
        let federation = try TestFederation(sites: sites, seed: seed)
        try await federation.makePKI()
        return federation
    }

    private init(sites: [String], seed: Int) throws {
        packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        root = FileManager.default.temporaryDirectory.appendingPathComponent("cohort-federation-\(UUID().uuidString)")
        siteNames = sites
        self.seed = seed
        environment = ["COHORT_MODELS": packageRoot.appendingPathComponent("Models").path, "COHORT_BLAS_THREADS": "1"]
        for folder in ["pki", "data", "logs", "state"] {
            try FileManager.default.createDirectory(at: root.appendingPathComponent(folder), withIntermediateDirectories: true)
        }
        for site in sites {
            let source = packageRoot.appendingPathComponent("Examples/federation/data/\(site).csv")
            try FileManager.default.copyItem(at: source, to: root.appendingPathComponent("data/\(site).csv"))
            try writePolicy(site: site)
        }
        try FileManager.default.copyItem(
            at: packageRoot.appendingPathComponent("Datasets/breast_cancer_wdbc.schema.json"),
            to: root.appendingPathComponent("data/schema.json"))
    }

    /// The federation CA, a foreign CA, and every party's key and certificate, made with `cohort certs`.
    private func makePKI() async throws {
        try await certs(["init", "--dir", "pki/ca", "--name", "test-federation"])
        try await certs(["init", "--dir", "pki/foreign-ca", "--name", "elsewhere"])
        try await issue(role: "orchestrator", name: "orchestrator", extra: ["--host", "127.0.0.1"])
        for site in siteNames { try await issue(role: "site", name: site) }
        try await issue(role: "researcher", name: "dr-lee")
        try FileManager.default.copyItem(at: url("pki/ca/ca.cert.pem"), to: url("pki/dr-lee/ca.cert.pem"))
        try await issue(role: "site", name: "hospital-a", folder: "foreign-hospital-a", ca: "pki/foreign-ca")
        try await issue(role: "researcher", name: "dr-who", folder: "foreign-dr-who", ca: "pki/foreign-ca")
        try FileManager.default.copyItem(at: url("pki/ca/ca.cert.pem"), to: url("pki/foreign-dr-who/ca.cert.pem"))
    }

    deinit {
        stopAll()
        try? FileManager.default.removeItem(at: root)
    }

    /// Kills every process this federation started.
    public func stopAll() {
        orchestrator?.kill()
        for site in sites.values { site.kill() }
    }

    public func url(_ path: String) -> URL { root.appendingPathComponent(path) }

    private func certs(_ arguments: [String]) async throws {
        let output = try await CohortProcess.run(["certs"] + arguments, in: root, setting: environment)
        guard output.status == 0 else {
            throw BackgroundProcessError("cohort certs \(arguments.joined(separator: " ")) failed: \(output.standardError)")
        }
    }

    private func issue(role: String, name: String, folder: String? = nil, ca: String = "pki/ca", extra: [String] = []) async throws {
        let directory = "pki/\(folder ?? name)"
        try await certs(["request", "--role", role, "--name", name, "--out", directory] + extra)
        try await certs(["sign", "\(directory)/\(name).csr.pem", "--ca", ca])
    }

    /// Writes `site`'s policy: the defaults below, with `replacing` applied to its text.
    /// The holdout split uses seed + index, as `cohort simulate` does for the plan's sites.
    public func writePolicy(site: String, replacing: [String: String] = [:]) throws {
        let index = siteNames.firstIndex(of: site) ?? 0
        var text = """
            name: \(site)
            dataset:
              path: data/\(site).csv
              schema: data/schema.json
              holdout: 0.2
              split_seed: \(seed + index)
            accept:
              models: [logistic-regression, mlp-small]
              strategies: [fedavg, fedprox, fedadam]
              units: [record, site]
              seeded_noise: true
            privacy:
              minimum_noise_multiplier: 0.8
              maximum_epsilon_per_run: 5
              lifetime_epsilon: 50
              delta: 1e-5
            minimum_records: 100
            evaluation:
              minimum_records: 10
            audit_log: state/\(site)/audit.jsonl

            """
        for (old, new) in replacing { text = text.replacingOccurrences(of: old, with: new) }
        try text.write(to: url("policy-\(site).yaml"), atomically: true, encoding: .utf8)
    }

    /// Writes a plan over the federation's sites (seeded noise, so a simulation of it is
    /// reproducible); `replacing` edits its text.
    @discardableResult
    public func writePlan(_ name: String = "plan", rounds: Int = 4, replacing: [String: String] = [:]) throws -> URL {
        var text = """
            name: \(name)
            model: logistic-regression
            label: malignant
            schema: data/schema.json
            rounds: \(rounds)
            seed: \(seed)
            simulation: true
            sites:
            \(siteNames.map { "  - {name: \($0), data: data/\($0).csv}" }.joined(separator: "\n"))
            sampling: {per_round: all, minimum: 2}
            local: {epochs: 1, batch_size: 16, optimizer: sgd, learning_rate: 0.1}
            privacy:
              unit: record
              clip: 1.0
              noise_multiplier: 2.0
              delta: 1e-5
              delta_clip: 10
              noise: seeded
            evaluation: {every: 1, holdout: 0.2}

            """
        for (old, new) in replacing { text = text.replacingOccurrences(of: old, with: new) }
        let planURL = url("\(name).yaml")
        try text.write(to: planURL, atomically: true, encoding: .utf8)
        return planURL
    }

    /// Starts (or restarts) the orchestrator; the first start picks a free port, restarts reuse it.
    public func startOrchestrator(siteWaitSeconds: Double = 20, setting: [String: String] = [:]) async throws {
        let config = """
            listen: 127.0.0.1:\(port)
            pki: {ca: pki/ca/ca.cert.pem, certificate: pki/orchestrator/orchestrator.cert.pem, key: pki/orchestrator/orchestrator.key.pem}
            state: state/orchestrator
            site_wait_seconds: \(siteWaitSeconds)
            heartbeat_seconds: 1

            """
        try config.write(to: url("orchestrator.yaml"), atomically: true, encoding: .utf8)
        orchestrator?.kill()
        let process = try BackgroundProcess(
            "orchestrator", ["orchestrator", "--config", "orchestrator.yaml"], in: root, logDirectory: url("logs"),
            setting: environment.merging(setting) { _, new in new })
        orchestrator = process
        let line = try await process.waitForLine(containing: "listening on")
        guard let text = line.split(separator: ":").last, let bound = Int(text) else {
            throw BackgroundProcessError("cannot read the port from '\(line)'")
        }
        port = bound
    }

    /// Starts (or restarts) `site`'s worker with a configuration pointing at the orchestrator.
    public func startSite(_ site: String, pkiFolder: String? = nil, setting: [String: String] = [:]) throws {
        let folder = pkiFolder ?? site
        let config = """
            policy: policy-\(site).yaml
            orchestrator: 127.0.0.1:\(port)
            pki: {ca: pki/ca/ca.cert.pem, certificate: pki/\(folder)/\(site).cert.pem, key: pki/\(folder)/\(site).key.pem}
            state: state/\(site)
            reconnect: {initial_seconds: 0.2, maximum_seconds: 1}

            """
        try config.write(to: url("site-\(site).yaml"), atomically: true, encoding: .utf8)
        sites[site]?.kill()
        let process = try BackgroundProcess(
            site, ["site", "--config", "site-\(site).yaml"], in: root, logDirectory: url("logs"),
            setting: environment.merging(setting) { _, new in new })
        sites[site] = process
    }

    /// Starts every site and waits until each has registered.
    public func startSites() async throws {
        for site in siteNames { try startSite(site) }
        for site in siteNames { try await sites[site]?.waitForLine(containing: "registered with the orchestrator") }
    }

    /// `cohort ARGUMENTS` as the researcher dr-lee, against this orchestrator.
    public func researcher(_ arguments: [String], pki: String = "pki/dr-lee", timeout: TimeInterval = 300) async throws -> CohortProcess.Output {
        try await CohortProcess.run(arguments + ["--orchestrator", "127.0.0.1:\(port)", "--pki", pki], in: root,
                              setting: environment, timeout: timeout)
    }
}
