import Config
import Testing

private func parse(_ json: String) throws(ConfigError) -> ConfigLayer {
    try ConfigFile.parseJSON(Array(json.utf8), path: "/etc/consul.d/ui.json")
}

private func build(_ files: [ConfigLayer], dev: Bool = false) throws -> AgentConfig {
    var flags = ConfigLayer()
    flags.dataDir = "/var/consul"
    return try ConfigBuilder.build(dev: dev, files: files, flags: flags, hostname: "h")
}

/// `ui_config { enabled, content_path }`, the legacy `ui` / `ui_content_path` keys, and the
/// UI's other settings accepted but named as not acted on.
@Suite struct UIConfigTests {
    @Test func contentPathIsNormalisedAsConsul() throws {
        #expect(try build([]).uiContentPath == "/ui/")
        for (given, served) in [("/console/", "/console/"), ("console", "/console/"), ("/a/b", "/a/b/"), ("x/", "/x/")] {
            let c = try build([parse(#"{"ui_config":{"enabled":true,"content_path":"\#(given)"}}"#)])
            #expect(c.uiEnabled && c.uiContentPath == served, "\(given)")
        }
        #expect(throws: ConfigError.self) { try parse(#"{"ui_config":{"content_path":5}}"#) }
    }

    @Test func legacyKeysMapWithConsulsDeprecationWarning() throws {
        let c = try build([parse(#"{"ui":true,"ui_content_path":"/legacy/"}"#)])
        #expect(c.uiEnabled && c.uiContentPath == "/legacy/")
        #expect(c.warnings.contains("The 'ui_content_path' field is deprecated. Use the 'ui_config.content_path' field instead."))
        #expect(c.warnings.contains("The 'ui' field is deprecated. Use the 'ui_config.enabled' field instead."))
        #expect(!c.ignoredKeys.contains("ui_content_path"))
    }

    @Test func onInDevOffOtherwiseAndOtherUISettingsAreNamed() throws {
        #expect(try build([], dev: true).uiEnabled)
        #expect(!(try build([]).uiEnabled))
        let c = try build([parse(#"{"ui_config":{"enabled":true,"metrics_provider":"prometheus","dashboard_url_templates":{}}}"#)])
        #expect(c.ignoredKeys.contains("ui_config.metrics_provider") && c.ignoredKeys.contains("ui_config.dashboard_url_templates"))
    }

    @Test func aDirectoryServesTheUIButNotTogetherWithEnabled() throws {
        let dir = try build([parse(#"{"ui_config":{"dir":"/opt/ui"}}"#)])
        #expect(dir.servesUI && !dir.uiEnabled && dir.uiDir == "/opt/ui")
        let legacy = try build([parse(#"{"ui_dir":"/opt/ui"}"#)])
        #expect(legacy.uiDir == "/opt/ui")
        #expect(legacy.warnings.contains("The 'ui_dir' field is deprecated. Use the 'ui_config.dir' field instead."))
        do {
            _ = try build([parse(#"{"ui_config":{"enabled":true,"dir":"a"}}"#)])
            Issue.record("enabled together with dir must be refused")
        } catch let error as ConfigError {
            #expect(error.message == "Both the ui_config.enabled and ui_config.dir (or -ui and -ui-dir) were specified, please provide only one.\n"
                + "If trying to use your own web UI resources, use ui_config.dir or the -ui-dir flag.\n"
                + "The web UI is included in the binary so use ui_config.enabled or the -ui flag to enable it")
        }
        // -dev turns the UI on by default; a directory there replaces the embedded copy.
        #expect(try build([parse(#"{"ui_config":{"dir":"/opt/ui"}}"#)], dev: true).servesUI)
    }
}
