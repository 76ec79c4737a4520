import CohortTensor
import Foundation
import Testing
@testable import CohortLearn

@Suite("Model definitions (YAML)")
struct ModelDefinitionTests {
    @Test("every bundled model parses and builds", arguments: ["logistic-regression", "mlp-small", "mlp-digits", "mlp-wide"])
    func bundled(name: String) throws {
        let definition = try ModelDefinition.load(name, modelsDirectory: packageRoot.appendingPathComponent("Models"))
        #expect(definition.name == name)
        var generator = SeededGenerator(seed: 0)
        let network = Network(definition: definition, inputWidth: 30, outputWidth: 3, using: &generator)
        #expect(network.outputWidth == 3)
        #expect(try ModelDefinition.parse(yaml: definition.yaml(), source: "round-trip") == definition)
    }

    @Test("the MLP shapes and parameter names follow the definition")
    func shapes() throws {
        let network = try makeNetwork("name: m\nlayers: [{dense: 64}, relu, {dense: 64}, relu, {dense: output}]\n", inputs: 30, outputs: 2)
        #expect(network.parameters.names == ["dense0.weight", "dense0.bias", "dense1.weight", "dense1.bias", "dense2.weight", "dense2.bias"])
        #expect(network.parameters["dense1.weight"]?.shape == [64, 64])
        #expect(network.parameters.scalarCount == 30 * 64 + 64 + 64 * 64 + 64 + 64 * 2 + 2)
        #expect(network.summary.hasPrefix("30→64→relu→64→relu→2"))
    }

    @Test("bad definitions are refused with the field named",
          arguments: [
            ("name: m\nlayers: [{dense: 4}, relu]\n", "last layer must be dense"),
            ("name: m\nlayers: [{dense: 0}]\n", "layers[0]"),
            ("name: m\nlayers: [{dense: output}, relu, {dense: 3}]\n", "layers[0]"),
            ("name: m\nlayers: [swish, {dense: 1}]\n", "unknown layer 'swish'"),
            ("name: m\nlayers: [{dropout: 1.5}, {dense: 1}]\n", "dropout rate"),
            ("name: m\nlayers: [{dense: 1}]\nl2: -1\n", "'l2'"),
            ("name: m\nlayers: [{dense: 1}]\nlearning_rate: 3\n", "learning_rate"),
            ("layers: [{dense: 1}]\n", "'name'"),
            ("name: m\nlayers: [{dense: big}]\n", "layers[0]"),
          ])
    func refused(yaml: String, expected: String) {
        do {
            _ = try ModelDefinition.parse(yaml: yaml, source: "bad.yaml")
            Issue.record("accepted: \(yaml)")
        } catch {
            let message = "\(error)"
            #expect(message.contains("bad.yaml") && message.contains(expected), "message: \(message)")
        }
    }

    @Test("an unknown model name lists the built-in ones")
    func unknownName() {
        do {
            _ = try ModelDefinition.load("nope", modelsDirectory: packageRoot.appendingPathComponent("Models"))
            Issue.record("loaded a missing model")
        } catch {
            #expect("\(error)".contains("mlp-small"))
        }
    }
}
