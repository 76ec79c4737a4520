import CohortData
import CohortTensor
import Foundation

/// A model file's whole content: the network, the feature schema and the preprocessing
/// statistics, so that the file alone scores a new CSV (in Cohort, or in Python).
///
/// Stored as safetensors: the weights as F32 tensors (`dense0.weight`, …) and, in the
/// header's `__metadata__`, JSON strings under the keys of `MetadataKey`.
public struct TrainedModel: Sendable {
    /// Metadata keys (each value is a JSON document, but `format`).
    public enum MetadataKey {
        /// `cohort-model/1`: the layout of this metadata.
        public static let format = "cohort.format"
        public static let definition = "cohort.model"
        public static let task = "cohort.task"
        public static let schema = "cohort.schema"
        public static let preprocessing = "cohort.preprocessing"
        public static let provenance = "cohort.provenance"
    }

    public static let formatVersion = "cohort-model/1"

    /// What the logits mean: the loss, the classes, the widths.
    public struct Task: Sendable, Codable, Equatable {
        public var loss: Loss
        /// Class labels in index order, as the schema lists them.
        public var classes: [String]
        public var inputWidth: Int
        public var outputWidth: Int
        /// Encoded feature names, in column order of the network's input.
        public var featureNames: [String]

        public init(loss: Loss, classes: [String], inputWidth: Int, outputWidth: Int, featureNames: [String]) {
            self.loss = loss
            self.classes = classes
            self.inputWidth = inputWidth
            self.outputWidth = outputWidth
            self.featureNames = featureNames
        }
    }

    /// Where the model came from: free-form facts a reader of the file wants.
    public struct Provenance: Sendable, Codable, Equatable {
        public var createdBy: String
        public var createdAt: String
        public var trainingData: String?
        public var trainingRows: Int?
        public var epochs: Int?
        public var privacy: String?
        public var notes: [String: String]

        public init(createdBy: String, createdAt: Date = Date(), trainingData: String? = nil, trainingRows: Int? = nil,
                    epochs: Int? = nil, privacy: String? = nil, notes: [String: String] = [:]) {
            self.createdBy = createdBy
            self.createdAt = ISO8601DateFormatter().string(from: createdAt)
            self.trainingData = trainingData
            self.trainingRows = trainingRows
            self.epochs = epochs
            self.privacy = privacy
            self.notes = notes
        }
    }

    public var network: Network
    public var task: Task
    public var schema: Schema
    public var preprocessing: PreprocessingStatistics
    public var provenance: Provenance

    public init(network: Network, task: Task, schema: Schema, preprocessing: PreprocessingStatistics, provenance: Provenance) {
        self.network = network
        self.task = task
        self.schema = schema
        self.preprocessing = preprocessing
        self.provenance = provenance
    }

    /// Writes the model file (atomically: a crash leaves the old file or the new one).
    public func write(to url: URL) throws {
        try SafetensorsFile.write(network.parameters, metadata: try fileMetadata(), to: url)
    }

    /// The bytes `write(to:)` puts on disk, for a caller that stores or sends them itself.
    public func fileData() throws -> Data {
        try SafetensorsFile.encode(network.parameters, metadata: try fileMetadata())
    }

    /// The file's `__metadata__`: everything but the weights, as JSON per key.
    private func fileMetadata() throws -> [String: String] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        func json<T: Encodable>(_ value: T) throws -> String { String(decoding: try encoder.encode(value), as: UTF8.self) }
        return [
            MetadataKey.format: Self.formatVersion,
            MetadataKey.definition: try json(network.definition),
            MetadataKey.task: try json(task),
            MetadataKey.schema: try json(schema),
            MetadataKey.preprocessing: try json(preprocessing),
            MetadataKey.provenance: try json(provenance),
        ]
    }

    /// Reads and checks a model file: the safetensors structure, then that the metadata is
    /// Cohort's and that the tensors are exactly those the definition needs.
    public static func read(from url: URL) throws -> TrainedModel {
        let (tensors, metadata) = try SafetensorsFile.read(from: url)
        let path = url.path
        func value(_ key: String) throws -> Data {
            guard let text = metadata[key] else {
                throw ModelFileError(.invalidMetadata, "metadata has no '\(key)': not a Cohort model file (format \(formatVersion))", path: path)
            }
            return Data(text.utf8)
        }
        func decode<T: Decodable>(_ type: T.Type, _ key: String) throws -> T {
            do {
                return try JSONDecoder().decode(type, from: try value(key))
            } catch let error as ModelFileError {
                throw error
            } catch {
                throw ModelFileError(.invalidMetadata, "metadata '\(key)' is not valid: \(error)", path: path, cause: error)
            }
        }
        guard metadata[MetadataKey.format] == formatVersion else {
            throw ModelFileError(.invalidMetadata,
                                 "metadata '\(MetadataKey.format)' is \(metadata[MetadataKey.format].map { "'\($0)'" } ?? "missing"), expected '\(formatVersion)'",
                                 path: path)
        }
        let definition = try decode(ModelDefinition.self, MetadataKey.definition)
        let task = try decode(Task.self, MetadataKey.task)
        let schema = try decode(Schema.self, MetadataKey.schema)
        let preprocessing = try decode(PreprocessingStatistics.self, MetadataKey.preprocessing)
        let provenance = try decode(Provenance.self, MetadataKey.provenance)
        do {
            try definition.validate()
        } catch {
            throw ModelFileError(.invalidMetadata, "model definition in the metadata is invalid: \(error)", path: path)
        }
        guard task.inputWidth == preprocessing.encodedFeatureCount, task.inputWidth >= 1, task.outputWidth >= 1 else {
            throw ModelFileError(.invalidMetadata,
                                 "task input width \(task.inputWidth) does not match the \(preprocessing.encodedFeatureCount) encoded features",
                                 path: path)
        }
        var generator = SeededGenerator(seed: 0)
        var network = Network(definition: definition, inputWidth: task.inputWidth, outputWidth: task.outputWidth, using: &generator)
        for (name, expected) in zip(network.parameters.names, network.parameters.tensors) {
            guard let tensor = tensors[name] else {
                throw ModelFileError(.invalidTensorEntry, "tensor '\(name)' is missing", path: path, tensorName: name)
            }
            guard tensor.shape == expected.shape else {
                throw ModelFileError(.invalidShape, "tensor '\(name)' has shape \(tensor.shape), the model needs \(expected.shape)",
                                     path: path, tensorName: name)
            }
            guard tensor.scalars.allSatisfy(\.isFinite) else {
                throw ModelFileError(.invalidTensorEntry, "tensor '\(name)' holds NaN or infinite weights", path: path, tensorName: name)
            }
            network.parameters[name] = tensor
        }
        if let extra = tensors.names.first(where: { network.parameters[$0] == nil }) {
            throw ModelFileError(.invalidTensorEntry, "tensor '\(extra)' is not part of model '\(definition.name)'", path: path, tensorName: extra)
        }
        return TrainedModel(network: network, task: task, schema: schema, preprocessing: preprocessing, provenance: provenance)
    }

    /// Validates `table` against the model's schema and encodes it with the stored statistics.
    public func encode(_ table: CSVTable) throws -> DesignMatrix {
        try preprocessing.apply(to: schema.validate(table))
    }

    /// Class probabilities for each row of encoded features: [rows, classes] (for one
    /// logit, the columns are P(class 0) and P(class 1)).
    public func probabilities(_ features: Tensor<Float>) -> Tensor<Float> {
        let logits = network.predictLogits(features)
        if logits.shape[1] == 1 {
            var result = Tensor<Float>.zeros([logits.shape[0], 2])
            for i in 0..<logits.shape[0] {
                let p = Activation.sigmoid(logits.scalars[i])
                result[i, 0] = 1 - p
                result[i, 1] = p
            }
            return result
        }
        return logits.softmaxOfEachRow()
    }
}
