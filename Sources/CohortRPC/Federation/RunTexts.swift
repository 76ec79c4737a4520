/// The texts that describe a run to a site and are the same in all its tasks: the plan, the
/// model definition, the schema and the shared preprocessing. They travel once per run on
/// each connection of a site (cohort.proto, "Run context"): the orchestrator leaves a field
/// empty when this connection already carried its text for the run, and the site fills it
/// from what it kept. The plan hash is in every task, so the site checks the kept plan
/// against each task's claim.
public struct RunTexts: Sendable, Equatable {
    public var planYAML: String?
    public var modelYAML: String?
    public var schemaJSON: String?
    public var preprocessingJSON: String?
    public var planHash: String?

    public init(planYAML: String? = nil, modelYAML: String? = nil, schemaJSON: String? = nil, preprocessingJSON: String? = nil,
                planHash: String? = nil) {
        self.planHash = planHash
        self.planYAML = planYAML
        self.modelYAML = modelYAML
        self.schemaJSON = schemaJSON
        self.preprocessingJSON = preprocessingJSON
    }

    /// Orchestrator side: empties each of `task`'s run texts that `self` (what this connection
    /// carried for the run) holds already, and notes the others as carried.
    mutating func omitKnown(from task: inout Cohort_V1_Task) {
        func omit(_ field: inout String, _ known: inout String?) {
            guard !field.isEmpty else { return }
            if known == field { field = "" } else { known = field }
        }
        switch task.kind {
        case .training(var training):
            omit(&training.planYaml, &planYAML)
            omit(&training.planHash, &planHash)
            omit(&training.modelYaml, &modelYAML)
            omit(&training.schemaJson, &schemaJSON)
            omit(&training.preprocessingJson, &preprocessingJSON)
            task.training = training
        case .evaluation(var evaluation):
            omit(&evaluation.planYaml, &planYAML)
            omit(&evaluation.modelYaml, &modelYAML)
            omit(&evaluation.planHash, &planHash)
            omit(&evaluation.schemaJson, &schemaJSON)
            omit(&evaluation.preprocessingJson, &preprocessingJSON)
            task.evaluation = evaluation
        case .preprocessing(var preprocessing):
            omit(&preprocessing.planYaml, &planYAML)
            omit(&preprocessing.planHash, &planHash)
            omit(&preprocessing.modelYaml, &modelYAML)
            omit(&preprocessing.schemaJson, &schemaJSON)
            task.preprocessing = preprocessing
        default:
            break
        }
    }

    /// Site side: keeps each text `task` carries and fills each empty one from what was
    /// kept. Throws, naming the text, when the task omits one this connection never carried.
    mutating func fillOmitted(in task: inout Cohort_V1_Task) throws(WireError) {
        let runID = task.runID
        func fill(_ field: inout String, _ known: inout String?, _ what: String) throws(WireError) {
            if !field.isEmpty {
                known = field
            } else if let known {
                field = known
            } else {
                throw WireError("task \(task.taskID) omits the \(what) of run \(runID), which this site has not received "
                                + "on this connection (a task of a run carries it once per connection)")
            }
        }
        switch task.kind {
        case .training(var training):
            try fill(&training.planYaml, &planYAML, "plan")
            try fill(&training.planHash, &planHash, "plan hash")
            try fill(&training.modelYaml, &modelYAML, "model definition")
            try fill(&training.schemaJson, &schemaJSON, "schema")
            try fill(&training.preprocessingJson, &preprocessingJSON, "preprocessing statistics")
            task.training = training
        case .evaluation(var evaluation):
            try fill(&evaluation.planYaml, &planYAML, "plan")
            try fill(&evaluation.modelYaml, &modelYAML, "model definition")
            try fill(&evaluation.planHash, &planHash, "plan hash")
            try fill(&evaluation.schemaJson, &schemaJSON, "schema")
            try fill(&evaluation.preprocessingJson, &preprocessingJSON, "preprocessing statistics")
            task.evaluation = evaluation
        case .preprocessing(var preprocessing):
            try fill(&preprocessing.planYaml, &planYAML, "plan")
            try fill(&preprocessing.planHash, &planHash, "plan hash")
            try fill(&preprocessing.modelYaml, &modelYAML, "model definition")
            try fill(&preprocessing.schemaJson, &schemaJSON, "schema")
            task.preprocessing = preprocessing
        default:
            break
        }
    }
}

/// The `RunTexts` one connection has carried, for its most recent runs.
///
/// The orchestrator keeps one run per site session (it runs one run at a time, and another
/// run's task simply carries its texts again); a site keeps `capacity` runs, so a text the
/// orchestrator omits is one the site still holds.
struct RunTextsByRun: Sendable {
    private(set) var runs: [(runID: String, texts: RunTexts)] = []
    let capacity: Int

    init(capacity: Int) {
        precondition(capacity >= 1, "a connection keeps the texts of at least one run")
        self.capacity = capacity
    }

    /// Orchestrator side: `task` with the texts this connection carried for its run emptied.
    mutating func omitKnown(from task: inout Cohort_V1_Task) {
        var texts = take(task.runID)
        texts.omitKnown(from: &task)
        keep(task.runID, texts)
    }

    /// Site side: `task` with every omitted text filled in, or why it cannot be.
    mutating func fillOmitted(in task: inout Cohort_V1_Task) throws(WireError) {
        var texts = take(task.runID)
        defer { keep(task.runID, texts) }
        try texts.fillOmitted(in: &task)
    }

    private mutating func take(_ runID: String) -> RunTexts {
        guard let index = runs.firstIndex(where: { $0.runID == runID }) else { return RunTexts() }
        return runs.remove(at: index).texts
    }

    private mutating func keep(_ runID: String, _ texts: RunTexts) {
        guard texts != RunTexts() else { return }
        runs.append((runID, texts))
        if runs.count > capacity { runs.removeFirst(runs.count - capacity) }
    }
}
