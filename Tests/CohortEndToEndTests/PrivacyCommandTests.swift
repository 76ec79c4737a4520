import CohortTestSupport
import Foundation
import Testing

/// `cohort privacy epsilon|sigma --json`, run as a real process, against the reference
/// values of shared/dp_vectors.csv (Google's dp-accounting).
@Suite("cohort privacy (real process)")
struct PrivacyCommandTests {
    struct Row {
        var q: String, sigma: String, steps: String, delta: String
        var epsRDP: Double, epsPLD: Double, targetEps: Double?
    }

    static func referenceRows() throws -> [Row] {
        let url = TrainEvaluateTests.packageRoot.deletingLastPathComponent().appendingPathComponent("shared/dp_vectors.csv")
        let text = try String(contentsOf: url, encoding: .utf8)
        let lines = text.split(whereSeparator: \.isNewline).map { $0.split(separator: ",", omittingEmptySubsequences: false).map(String.init) }
        let header = try #require(lines.first)
        func column(_ name: String) throws -> Int { try #require(header.firstIndex(of: name), "no column \(name)") }
        let (q, sigma, steps, delta) = (try column("q"), try column("sigma"), try column("steps"), try column("delta"))
        let (rdp, pld, target) = (try column("eps_rdp"), try column("eps_pld"), try column("target_eps"))
        return lines.dropFirst().filter { $0.count == header.count }.map {
            Row(q: $0[q], sigma: $0[sigma], steps: $0[steps], delta: $0[delta],
                epsRDP: Double($0[rdp]) ?? .nan, epsPLD: Double($0[pld]) ?? .nan, targetEps: Double($0[target]))
        }
    }

    @Test("epsilon --json matches dp-accounting's RDP value within 1% and never goes below the PLD value")
    func epsilonMatchesReference() throws {
        let rows = try Self.referenceRows().filter { $0.targetEps == nil }
        try #require(rows.count >= 5)
        for row in rows {
            let output = try CohortProcess.run(["privacy", "epsilon", "--q", row.q, "--sigma", row.sigma,
                                                "--steps", row.steps, "--delta", row.delta, "--json"])
            try #require(output.status == 0, "stderr: \(output.standardError)")
            let object = try #require(try JSONSerialization.jsonObject(with: Data(output.standardOutput.utf8)) as? [String: Double])
            let epsilon = try #require(object["epsilon"])
            #expect(object["order"] != nil)
            #expect(epsilon <= row.epsRDP * 1.01 && epsilon >= row.epsPLD, "q=\(row.q) σ=\(row.sigma): ε \(epsilon) vs RDP \(row.epsRDP), PLD \(row.epsPLD)")
            #expect(abs(epsilon - row.epsRDP) <= 0.01 * row.epsRDP, "q=\(row.q) σ=\(row.sigma): ε \(epsilon) vs \(row.epsRDP)")
        }
    }

    @Test("sigma --json returns a σ whose ε is within 1% of the target, and not above it")
    func sigmaHitsTarget() throws {
        for target in [0.5, 1.0, 3.0, 8.0] {
            let sigma = try CohortProcess.run(["privacy", "sigma", "--epsilon", "\(target)", "--q", "0.01",
                                               "--steps", "2000", "--delta", "1e-5", "--json"])
            try #require(sigma.status == 0, "stderr: \(sigma.standardError)")
            let value = try #require((try JSONSerialization.jsonObject(with: Data(sigma.standardOutput.utf8)) as? [String: Double])?["sigma"])
            let epsilon = try CohortProcess.run(["privacy", "epsilon", "--q", "0.01", "--sigma", "\(value)",
                                                 "--steps", "2000", "--delta", "1e-5", "--json"])
            let achieved = try #require((try JSONSerialization.jsonObject(with: Data(epsilon.standardOutput.utf8)) as? [String: Double])?["epsilon"])
            #expect(achieved <= target * (1 + 1e-9) && achieved >= target * 0.99, "target \(target): σ \(value) gives ε \(achieved)")
        }
    }

    @Test("bad settings are refused with the option named")
    func badSettings() throws {
        let output = try CohortProcess.run(["privacy", "epsilon", "--q", "0", "--sigma", "1", "--steps", "10", "--delta", "1e-5"])
        #expect(output.status != 0)
        #expect(output.standardError.contains("--q"))
    }
}
