import Foundation
import Testing

@testable import CohortRPC

/// A run's texts travel once per connection (cohort.proto, "Run context"): the orchestrator's
/// registry leaves them out of later tasks of a session, the site fills them back in.
@Suite("Run texts once per connection", .timeLimit(.minutes(1)))
struct RunTextsTests {
    static func training(_ taskID: String, run: String = "run-1", round: Int, preprocessing: String = "{\"p\":1}") -> Cohort_V1_Task {
        .with {
            $0.taskID = taskID
            $0.runID = run
            $0.round = UInt32(round)
            $0.training = .with {
                $0.planYaml = "name: \(run)\n"
                $0.planHash = "hash-of-\(run)"
                $0.modelYaml = "layers: [dense: output]\n"
                $0.schemaJson = "{\"schema\":1}"
                $0.preprocessingJson = preprocessing
                $0.rounds = 5
            }
        }
    }

    /// Sends `task` to hospital-a through `registry`, takes it off the session's stream as the
    /// site would receive it, and answers it.
    static func deliver(_ task: Cohort_V1_Task, _ registry: SiteRegistry,
                        _ stream: inout AsyncStream<Cohort_V1_Task>.Iterator) async throws -> Cohort_V1_Task {
        let request = Task {
            try await registry.request(site: "hospital-a", taskID: task.taskID, runID: task.runID, round: Int(task.round),
                                       messages: [task])
        }
        let received = try #require(await stream.next())
        try await registry.answer(task.taskID, from: "hospital-a", .evaluation(nil))
        _ = try await request.value
        return received
    }

    @Test("the registry sends a run's texts (plan hash included) once per session; a reconnected site gets them again")
    func registryOmitsTextsASessionCarried() async throws {
        let registry = SiteRegistry()
        var first = await registry.open(site: "hospital-a").tasks.makeAsyncIterator()

        let round1 = try await Self.deliver(Self.training("t1", round: 1), registry, &first)
        #expect(round1 == Self.training("t1", round: 1), "the first task of the run carries every text")

        let round2 = try await Self.deliver(Self.training("t2", round: 2), registry, &first).training
        #expect(round2.planYaml.isEmpty && round2.modelYaml.isEmpty && round2.schemaJson.isEmpty && round2.preprocessingJson.isEmpty
                    && round2.planHash.isEmpty, "\(round2)")
        #expect(round2.rounds == 5)

        // A text that changed goes again; the others stay out.
        let changed = try await Self.deliver(Self.training("t3", round: 3, preprocessing: "{\"p\":2}"), registry, &first).training
        #expect(changed.preprocessingJson == "{\"p\":2}" && changed.planYaml.isEmpty)

        // Another run carries its own texts.
        let other = try await Self.deliver(Self.training("t4", run: "run-2", round: 1), registry, &first)
        #expect(other == Self.training("t4", run: "run-2", round: 1))

        // The site connects again: a new session, which has carried nothing.
        var second = await registry.open(site: "hospital-a").tasks.makeAsyncIterator()
        let ended = await first.next()
        #expect(ended == nil, "the replaced session's stream ends")
        let again = try await Self.deliver(Self.training("t5", run: "run-2", round: 2), registry, &second)
        #expect(again == Self.training("t5", run: "run-2", round: 2))
    }

    @Test("the site fills omitted texts from what its connection carried and restores the orchestrator's task")
    func siteFillsOmittedTexts() throws {
        var orchestrator = RunTextsByRun(capacity: 1)
        var site = RunTextsByRun(capacity: 4)
        for round in 1...3 {
            let original = Self.training("t\(round)", round: round)
            var wire = original
            orchestrator.omitKnown(from: &wire)
            #expect(round == 1 || wire.training.planYaml.isEmpty)
            try site.fillOmitted(in: &wire)
            #expect(wire == original)
        }
    }

    @Test("a task that omits a text its connection never carried is refused, naming the text")
    func omittedTextNeverCarriedIsRefused() throws {
        var wire = Self.training("t2", round: 2)
        var stripped = RunTexts(planYAML: wire.training.planYaml, modelYAML: wire.training.modelYaml,
                                schemaJSON: wire.training.schemaJson, preprocessingJSON: wire.training.preprocessingJson)
        stripped.omitKnown(from: &wire)
        #expect(wire.training.planYaml.isEmpty)

        var fresh = RunTextsByRun(capacity: 4)  // a site that connected again, say
        #expect {
            try fresh.fillOmitted(in: &wire)
        } throws: { error in
            "\(error)".contains("omits the plan of run run-1") && "\(error)".contains("not received")
        }
        // A site that kept another run's texts does not lend them to this one.
        var otherRun = RunTextsByRun(capacity: 4)
        var other = Self.training("o1", run: "run-0", round: 1)
        try otherRun.fillOmitted(in: &other)
        #expect(throws: WireError.self) { try otherRun.fillOmitted(in: &wire) }
    }
}
