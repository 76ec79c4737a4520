@testable import CohortFederation
import CohortPrivacy
import Foundation
import Testing

/// A policy that must be refused, the field its error must name, and a phrase it must say.
struct BadSitePolicy: Sendable, CustomTestStringConvertible {
    var yaml: String
    var field: String?
    var phrase: String
    var code: SitePolicyError.Code

    /// `sitePolicyYAML` with `original` replaced by `replacement`.
    static func replacing(
        _ original: String, with replacement: String, _ field: String?, _ phrase: String,
        _ code: SitePolicyError.Code = .invalidValue
    ) -> BadSitePolicy {
        precondition(sitePolicyYAML.contains(original), "the test policy has no '\(original)'")
        return BadSitePolicy(
            yaml: sitePolicyYAML.replacingOccurrences(of: original, with: replacement), field: field, phrase: phrase, code: code)
    }

    var testDescription: String { "\(field ?? "-"): \(phrase)" }
}

@Suite("Site policy: YAML, with errors that name the field")
struct SitePolicyYAMLTests {
    @Test("every field is read")
    func readsEveryField() throws {
        let policy = try sitePolicy(baseDirectory: URL(fileURLWithPath: "/sites/a"))
        #expect(policy.name == "hospital-a")
        #expect(policy.dataset.path.path == "data/a.csv")
        #expect(policy.dataset.schema == nil)
        #expect(policy.dataset.holdout == 0.2)
        #expect(policy.accept.models == .only(["logistic-regression", "mlp-small"]))
        #expect(policy.accept.strategies == .only(["fedavg", "fedprox"]))
        #expect(policy.accept.units == [.record])
        #expect(policy.privacy == .init(minimumNoiseMultiplier: 0.8, maximumEpsilonPerRun: 3, lifetimeEpsilon: 8, delta: 1e-5))
        #expect(policy.minimumRecords == 100)
        #expect(policy.evaluation.minimumRecords == 10)
        #expect(policy.plans == .init(mode: .withinPolicy, hashes: []))
        #expect(policy.auditLog.path == "audit/site.jsonl")
    }

    @Test("optional fields take their defaults")
    func fillsDefaults() throws {
        let yaml = """
            name: h
            dataset: {path: a.csv}
            accept: {models: "*", strategies: ["*"]}
            privacy: {minimum_noise_multiplier: 1, maximum_epsilon_per_run: 2, lifetime_epsilon: 4}
            audit_log: audit.jsonl
            """
        let policy = try SitePolicy.parse(yaml: yaml)
        #expect(policy.dataset.holdout == 0.2)
        #expect(policy.accept.models == .any && policy.accept.strategies == .any)
        #expect(policy.accept.units == [.record])
        #expect(policy.privacy.delta == 1e-5)
        #expect(policy.minimumRecords == 100)
        #expect(policy.evaluation.minimumRecords == 10)
        #expect(policy.plans.mode == .withinPolicy)
    }

    @Test("listed plan hashes are read in lowercase")
    func readsHashes() throws {
        let yaml = sitePolicyYAML.replacingOccurrences(
            of: "mode: within_policy", with: "mode: listed_hashes_only\n  hashes: [\(samplePlanHash.uppercased())]")
        let policy = try SitePolicy.parse(yaml: yaml)
        #expect(policy.plans == .init(mode: .listedHashesOnly, hashes: [samplePlanHash]))
    }

    static let badPolicies: [BadSitePolicy] = [
        .replacing("minimum_records: 100", with: "minimum_record: 100", "minimum_record",
                   "unknown field; known top-level fields: name, dataset, accept, privacy, minimum_records, evaluation, plans, audit_log",
                   .unknownField),
        .replacing("  units: [record]", with: "  unit: [record]", "accept.unit",
                   "unknown field; known fields in 'accept': models, strategies, units", .unknownField),
        .replacing("  delta: 1e-5", with: "  delta: 1e-5\n  epsilon: 3", "privacy.epsilon", "unknown field", .unknownField),
        .replacing("audit_log: audit/site.jsonl", with: "", "audit_log", "required, but missing", .missingField),
        .replacing("  lifetime_epsilon: 8\n", with: "", "privacy.lifetime_epsilon", "required, but missing", .missingField),
        .replacing("  path: data/a.csv\n", with: "", "dataset.path", "required, but missing", .missingField),
        .replacing("minimum_records: 100", with: "minimum_records: many", "minimum_records",
                   "expected a whole number, got 'many'", .wrongType),
        .replacing("  delta: 1e-5", with: "  delta: [1]", "privacy.delta", "expected a single value, got a list", .wrongType),
        .replacing("minimum_records: 100", with: "minimum_records: 0", "minimum_records", "must be at least 1, got 0"),
        .replacing("  minimum_records: 10", with: "  minimum_records: -1", "evaluation.minimum_records", "must be at least 1, got -1"),
        .replacing("  delta: 1e-5", with: "  delta: 2", "privacy.delta", "must be in (0, 1), got 2.0"),
        .replacing("  holdout: 0.2", with: "  holdout: 1", "dataset.holdout", "must be in (0, 1), got 1.0"),
        .replacing("minimum_noise_multiplier: 0.8", with: "minimum_noise_multiplier: 0", "privacy.minimum_noise_multiplier",
                   "must be a finite number above 0, got 0.0"),
        .replacing("lifetime_epsilon: 8", with: "lifetime_epsilon: 2", "privacy.lifetime_epsilon",
                   "less than privacy.maximum_epsilon_per_run 3.0", .conflictingFields),
        .replacing("name: hospital-a", with: "name: hospital a", "name", "must be letters, digits"),
        .replacing("[fedavg, fedprox]", with: "[fedavg, fedsgd]", "accept.strategies[1]", "unknown name 'fedsgd'; known: fedavg, fedavgm"),
        .replacing("[fedavg, fedprox]", with: "[fedavg, fedavg]", "accept.strategies[1]", "'fedavg' is listed twice"),
        .replacing("[fedavg, fedprox]", with: "[]", "accept.strategies", "needs at least one name, or \"*\" for any"),
        .replacing("[logistic-regression, mlp-small]", with: "logistic-regression", "accept.models",
                   "expected a list of names, or \"*\" for any, got 'logistic-regression'", .wrongType),
        .replacing("[logistic-regression, mlp-small]", with: "[\"*\", mlp-small]", "accept.models",
                   "\"*\" already means any name", .conflictingFields),
        .replacing("units: [record]", with: "units: [none]", "accept.units[0]",
                   "must be one of record, site, got 'none' (a run without differential privacy is never accepted)"),
        .replacing("units: [record]", with: "units: []", "accept.units", "needs at least one of record, site"),
        .replacing("mode: within_policy", with: "mode: listed", "plans.mode",
                   "must be one of within_policy, listed_hashes_only, got 'listed'"),
        .replacing("mode: within_policy", with: "mode: listed_hashes_only", "plans.hashes", "lists no plan"),
        .replacing("mode: within_policy", with: "mode: within_policy\n  hashes: [\(String(repeating: "a", count: 64))]",
                   "plans.hashes", "applies only with plans.mode listed_hashes_only", .conflictingFields),
        .replacing("mode: within_policy", with: "mode: listed_hashes_only\n  hashes: [3fa1]", "plans.hashes[0]",
                   "must be a plan's SHA-256 (64 hexadecimal digits"),
        .replacing("dataset:\n  path: data/a.csv\n  holdout: 0.2", with: "dataset: 5", "dataset", "expected a mapping", .wrongType),
    ]

    @Test("bad policies name the field", arguments: badPolicies)
    func namesTheField(_ bad: BadSitePolicy) throws {
        let error = try #require(sitePolicyError(bad.yaml))
        #expect(error.field == bad.field, "\(error)")
        #expect(error.detail.contains(bad.phrase), "\(error)")
        #expect(error.code == bad.code, "\(error)")
        #expect(error.source == "site.yaml")
    }

    @Test("the message gives the file, the line and the field")
    func messageHasLineAndField() throws {
        let yaml = sitePolicyYAML.replacingOccurrences(of: "  delta: 1e-5", with: "  delta: 2")
        let error = try #require(sitePolicyError(yaml))
        #expect(error.message == "site.yaml:13: field 'privacy.delta': must be in (0, 1), got 2.0")
        let unknown = try #require(sitePolicyError(sitePolicyYAML.replacingOccurrences(of: "  units:", with: "  unit:")))
        #expect(unknown.message.hasPrefix("site.yaml:8: field 'accept.unit': unknown field"))
    }

    @Test("not a policy: empty, not a mapping, not YAML")
    func rejectsNonPolicies() throws {
        #expect(sitePolicyError("")?.code == .invalidYAML)
        #expect(sitePolicyError("- a\n- b\n")?.detail.contains("not a list") == true)
        let syntax = try #require(sitePolicyError("name: [a\ndataset: {path: b"))
        #expect(syntax.code == .invalidYAML && syntax.line != nil, "\(syntax)")
    }

    @Test("relative paths are resolved against the policy's folder; absolute ones are kept")
    func resolvesPaths() throws {
        let folder = URL(fileURLWithPath: "/sites/hospital-a")
        let policy = try sitePolicy(baseDirectory: folder)
        #expect(policy.dataset.path.url.path == "/sites/hospital-a/data/a.csv")
        #expect(policy.auditLog.url.path == "/sites/hospital-a/audit/site.jsonl")
        let yaml = sitePolicyYAML
            .replacingOccurrences(of: "path: data/a.csv", with: "path: ../shared/a.csv\n  schema: /etc/cohort/a.schema.json")
        let other = try SitePolicy.parse(yaml: yaml, baseDirectory: folder)
        #expect(other.dataset.path.url.path == "/sites/shared/a.csv")
        #expect(other.dataset.path.path == "../shared/a.csv")
        #expect(other.dataset.schema?.url.path == "/etc/cohort/a.schema.json")
    }

    @Test("load resolves paths against the file's own folder")
    func loadsFromFile() throws {
        let folder = try temporarySiteFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let file = folder.appendingPathComponent("site.yaml")
        try sitePolicyYAML.write(to: file, atomically: true, encoding: .utf8)
        let policy = try SitePolicy.load(from: file)
        #expect(policy.dataset.path.url == folder.appendingPathComponent("data/a.csv").standardizedFileURL)
        #expect(policy.auditLog.url == folder.appendingPathComponent("audit/site.jsonl").standardizedFileURL)
        do {
            _ = try SitePolicy.load(from: folder.appendingPathComponent("missing.yaml"))
            Issue.record("a missing file loaded")
        } catch {
            #expect(error.code == .unreadableFile)
        }
    }

    @Test("Examples/site-policy.yaml is a valid policy naming a file that exists")
    func exampleLoads() throws {
        let policy = try SitePolicy.load(from: PlanTestPaths.examples.appendingPathComponent("site-policy.yaml"))
        #expect(policy.name == "hospital-a")
        #expect(FileManager.default.fileExists(atPath: policy.dataset.path.url.path))
        #expect(policy.accept.models == .only(["logistic-regression", "mlp-small"]))
        for case .only(let names) in [policy.accept.models] {
            for name in names {
                #expect(FileManager.default.fileExists(atPath: PlanTestPaths.models.appendingPathComponent("\(name).yaml").path))
            }
        }
    }
}
