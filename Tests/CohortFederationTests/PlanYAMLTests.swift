@testable import CohortFederation
import Foundation
import Testing

@Suite("Plans: canonical YAML and hash")
struct PlanYAMLTests {
    static let base = URL(fileURLWithPath: "/plans")

    /// Plans that use every form and section.
    static let plans: [String] = [
        minimalPlanYAML,
        """
        name: everything
        model: ./models/wide.yaml
        label: "outcome: 30-day"
        schema: data/schema.json
        rounds: 12
        seed: 18446744073709551615
        data: "data/all \\"patients\\".csv"
        partition: {kind: dirichlet, sites: 10, alpha: 0.3, min_rows: 5, seed: 3}
        sampling: {per_round: 0.25, minimum: 2, deadline_seconds: 90.5}
        local: {steps: 40, batch_size: 64, optimizer: nesterov, learning_rate: 0.02, momentum: 0.8, weight_decay: 0.0005, schedule: cosine}
        strategy: {name: fedadam, server_learning_rate: 0.01, beta1: 0.9, tau: 0.001, weighting: uniform}
        privacy:
          unit: site
          clip: 0.75
          target_epsilon: 2.5
          delta: 1e-6
          budget_epsilon: 4
          adaptive_clipping: {target_quantile: 0.6, learning_rate: 0.1}
          noise: seeded
          noise_preprocessing: false
        evaluation: {every: 3, holdout: 0.15, min_records: 25, metrics: [auprc, brier, ece, macro_f1]}
        simulation: true
        """,
        """
        name: by-hospital
        model: mlp-small
        label: y
        rounds: 2
        data: pooled.csv
        partition: {kind: column, column: hospital}
        sampling: {per_round: 3}
        local: {optimizer: adamw}
        strategy: trimmed_mean_placeholder
        privacy: {unit: record, noise_multiplier: 0.9, delta_clip: 2}
        """.replacingOccurrences(of: "trimmed_mean_placeholder", with: "{name: trimmed_mean, trim_fraction: 0.2}"),
    ]

    @Test("yaml() parses back to an equal plan", arguments: plans.indices)
    func roundTrip(index: Int) throws {
        let plan = try Plan.parse(yaml: Self.plans[index], baseDirectory: Self.base)
        let text = plan.yaml()
        let again = try Plan.parse(yaml: text, source: "canonical.yaml", baseDirectory: Self.base)
        #expect(again == plan, "\(text)")
        #expect(again.yaml() == text)
    }

    @Test("the canonical form of the minimal plan spells out every default")
    func canonicalMinimal() throws {
        let plan = try Plan.parse(yaml: minimalPlanYAML)
        #expect(plan.yaml() == """
            name: "first-run"
            model: "logistic-regression"
            label: "target"
            rounds: 30
            seed: 0
            sites:
              - name: "hospital-a"
                data: "a.csv"
              - name: "hospital-b"
                data: "b.csv"
            sampling:
              per_round: "all"
              minimum: 1
              deadline_seconds: 600.0
            local:
              epochs: 1
              batch_size: 32
              optimizer: "sgd"
              learning_rate: 0.05
              momentum: 0.0
              weight_decay: 0.0
              schedule: "constant"
            strategy:
              name: "fedavg"
            privacy:
              unit: "none"
            evaluation:
              every: 1
              holdout: 0.2
              min_records: 10
              metrics: ["auroc", "accuracy", "log_loss"]
            simulation: false

            """)
    }

    @Test("the hash ignores layout, comments and spelled-out defaults, and changes with any setting")
    func hashStability() throws {
        let plan = try Plan.parse(yaml: minimalPlanYAML, baseDirectory: Self.base)
        let relaid = """
            # the same plan, written differently
            rounds: 30
            label: target
            name: first-run
            model: logistic-regression
            seed: 0
            sites:
              - name: hospital-a
                data: a.csv
              - {data: b.csv, name: hospital-b}
            local: {batch_size: 32, optimizer: sgd}
            privacy: {unit: none}
            """
        let same = try Plan.parse(yaml: relaid, baseDirectory: URL(fileURLWithPath: "/elsewhere"))
        #expect(same.hash == plan.hash)
        #expect(plan.hash.count == 64)
        #expect(plan.hash.allSatisfy { "0123456789abcdef".contains($0) })
        #expect(plan.hash == SHA256.hexDigest(of: plan.yaml()))

        let changed = try Plan.parse(yaml: minimalPlanYAML.replacingOccurrences(of: "rounds: 30", with: "rounds: 31"))
        #expect(changed.hash != plan.hash)
        let otherSeed = try Plan.parse(yaml: minimalPlanYAML + "\nseed: 1\n")
        #expect(otherSeed.hash != plan.hash)
    }

    @Test("the plan encodes to JSON with the same snake_case keys")
    func jsonEncoding() throws {
        let plan = try Plan.parse(yaml: Self.plans[1], baseDirectory: Self.base)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let json = String(decoding: try encoder.encode(plan), as: UTF8.self)
        for key in ["\"deadline_seconds\":90.5", "\"per_round\":0.25", "\"batch_size\":64", "\"min_rows\":5",
                    "\"target_epsilon\":2.5", "\"noise_preprocessing\":false", "\"min_records\":25",
                    "\"server_learning_rate\":0.01", "\"target_quantile\":0.6"] {
            #expect(json.contains(key), "\(key) in \(json)")
        }
    }
}

@Suite("SHA-256")
struct PlanSHA256Tests {
    /// Test vectors from NIST's "Cryptographic Algorithm Validation Program" examples for
    /// SHA-256 (FIPS 180-4 appendix examples): "abc", the empty string, the two-block
    /// 448-bit message, and one million "a"s.
    @Test("FIPS 180-4 test vectors", arguments: [
        ("abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"),
        ("", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
        ("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
         "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"),
    ])
    func vectors(message: String, digest: String) {
        #expect(SHA256.hexDigest(of: message) == digest)
    }

    @Test("one million 'a's")
    func millionAs() {
        let message = [UInt8](repeating: UInt8(ascii: "a"), count: 1_000_000)
        #expect(SHA256.hexDigest(message) == "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
    }

    @Test("a message taken in pieces of any size hashes as it does whole")
    func streamingEqualsWhole() {
        var generator = SystemRandomNumberGenerator()
        let message = (0..<1_000).map { _ in UInt8.random(in: 0...255, using: &generator) }
        for pieces in [[1_000], [1, 999], [63, 1, 64, 65, 807], [55, 9, 128, 0, 808], Array(repeating: 7, count: 142) + [6]] {
            var hasher = SHA256()
            var start = 0
            for size in pieces {
                message[start..<start + size].withUnsafeBytes { hasher.update($0) }
                start += size
            }
            #expect(start == message.count)
            #expect(SHA256.hex(hasher.finalize()) == SHA256.hexDigest(message), "pieces \(pieces)")
        }
    }

    @Test("messages around the padding boundary (55, 56, 63, 64 bytes) hash to 32 bytes each, all different")
    func paddingBoundaries() {
        let digests = [55, 56, 63, 64, 119, 120].map { SHA256.hexDigest([UInt8](repeating: 0x61, count: $0)) }
        #expect(Set(digests).count == digests.count)
        // 56 bytes needs a second block for the length; checked against a known value.
        #expect(SHA256.hexDigest([UInt8](repeating: 0x61, count: 56))
                == "b35439a4ac6f0948b6d6f9e3c6af0f5f590ce20f1bde7090ef7970686ec6738a")
    }
}
