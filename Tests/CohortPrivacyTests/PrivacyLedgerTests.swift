import Foundation
import Testing
@testable import CohortPrivacy

@Suite("Privacy ledger")
struct PrivacyLedgerTests {
    let round: SubsampledGaussian

    init() throws {
        round = try SubsampledGaussian(samplingRate: 0.01, noiseMultiplier: 1.0)
    }

    func charge(_ n: Int, steps: Int = 100) throws(PrivacyError) -> PrivacyCharge {
        try PrivacyCharge(id: "run-1/round-\(n)", label: "round \(n)", mechanism: round, steps: steps)
    }

    @Test("charges add up to the composed RDP, and the same id charged twice counts once")
    func idempotentCharging() throws {
        var ledger = PrivacyLedger(unit: .record, site: "hospital-a")
        #expect(try ledger.charge(charge(1)))
        #expect(try ledger.charge(charge(2)))
        let afterTwo = ledger.epsilon(delta: 1e-5)
        // A restarted run replays round 2: nothing changes.
        #expect(try ledger.charge(charge(2)) == false)
        #expect(ledger.charges.count == 2)
        #expect(ledger.epsilon(delta: 1e-5) == afterTwo)
        let direct = RDPAccountant().epsilon(of: round, steps: 200, delta: 1e-5)
        #expect(relativeDifference(afterTwo.epsilon, direct.epsilon) < 1e-12)
        // Same id, different parameters: a conflict, not a silent overwrite.
        let forged = try PrivacyCharge(id: "run-1/round-2", label: "round 2", mechanism: round, steps: 50)
        do {
            try ledger.charge(forged)
            Issue.record("a conflicting charge was accepted")
        } catch {
            #expect(error.code == .conflictingCharge)
        }
    }

    @Test("heterogeneous charges compose per order")
    func heterogeneousCharges() throws {
        var ledger = PrivacyLedger(unit: .site)
        let other = try SubsampledGaussian(samplingRate: 0.1, noiseMultiplier: 2.0)
        try ledger.charge(charge(1, steps: 30))
        try ledger.charge(PrivacyCharge(id: "x", label: "round 2", mechanism: other, steps: 7))
        try ledger.charge(charge(3, steps: 20))
        let accountant = RDPAccountant()
        let expected = try accountant.rdp(of: round, steps: 50).composed(with: accountant.rdp(of: other, steps: 7))
        for (x, y) in zip(ledger.rdp.values, expected.values) { #expect(relativeDifference(x, y) < 1e-13) }
    }

    @Test("canCharge and charge(_:within:) refuse the charge that would exceed the budget")
    func budgetRefusal() throws {
        var ledger = PrivacyLedger(unit: .record, site: "hospital-b")
        let budget = try PrivacyBudget(epsilon: 2.0, delta: 1e-5)
        var n = 0
        while try ledger.canCharge(charge(n + 1), within: budget) {
            n += 1
            try ledger.charge(charge(n), within: budget)
            #expect(ledger.epsilon(delta: 1e-5).epsilon <= 2.0)
        }
        #expect(n >= 1)
        let before = ledger
        do {
            try ledger.charge(charge(n + 1), within: budget)
            Issue.record("a charge over budget was recorded")
        } catch {
            #expect(error.code == .budgetExceeded)
            #expect(error.message.contains("round \(n + 1)"))
        }
        #expect(ledger == before)
        #expect(ledger.epsilon(afterCharging: try charge(n + 1), delta: 1e-5).epsilon > 2.0)
        // An already-recorded charge costs nothing and is accepted again as a no-op.
        #expect(try ledger.canCharge(charge(1), within: budget))
        #expect(try ledger.charge(charge(1), within: budget) == false)
        // Agrees with the accountant: fewer than 100 more steps fit.
        #expect(ledger.affordableSteps(of: round, within: budget) < 100)
    }

    @Test("a ledger round-trips through JSON with its total rebuilt")
    func codableRoundTrip() throws {
        var ledger = PrivacyLedger(unit: .record, site: "hospital-c")
        try ledger.charge(charge(1))
        try ledger.charge(PrivacyCharge(id: "b", label: "round 2", samplingRate: 0.2, noiseMultiplier: 3, steps: 4))
        let data = try JSONEncoder().encode(ledger)
        let decoded = try JSONDecoder().decode(PrivacyLedger.self, from: data)
        #expect(decoded == ledger)
        #expect(decoded.rdp == ledger.rdp)
        #expect(decoded.statement(delta: 1e-5) == ledger.statement(delta: 1e-5))
        let text = String(decoding: data, as: UTF8.self)
        #expect(text.contains("\"samplingRate\"") && text.contains("\"round 2\""))
        let bad = Data(text.replacingOccurrences(of: "\"steps\":4", with: "\"steps\":0").utf8)
        #expect(throws: DecodingError.self) { try JSONDecoder().decode(PrivacyLedger.self, from: bad) }
    }

    @Test("the statement names the unit")
    func statement() throws {
        var ledger = PrivacyLedger(unit: .record, site: "X")
        try ledger.charge(charge(1, steps: 1000))
        #expect(ledger.statement(delta: 1e-5) == "ε = 2.10, δ = 1e-5, per patient record at site X")
        var federation = PrivacyLedger(unit: .site)
        try federation.charge(charge(1, steps: 1000))
        #expect(federation.statement(delta: 1e-6).hasSuffix(", δ = 1e-6, per site (DP-FedAvg)"))
        #expect(PrivacyUnit.record.describe(PrivacyGuarantee(epsilon: 0.008044, delta: 2.5e-6, order: 2))
            == "ε = 0.00804, δ = 2.5e-6, per patient record")
    }

    @Test("charges and budgets are validated")
    func validation() {
        #expect(throws: PrivacyError.self) { try PrivacyCharge(id: "", label: "r", mechanism: round, steps: 1) }
        #expect(throws: PrivacyError.self) { try PrivacyCharge(id: "a", label: "r", mechanism: round, steps: 0) }
        #expect(throws: PrivacyError.self) { try PrivacyBudget(epsilon: 0, delta: 1e-5) }
        #expect(throws: PrivacyError.self) { try PrivacyBudget(epsilon: 1, delta: 1) }
    }
}
