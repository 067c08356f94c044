import Analysis
import BrowserAccess
import Foundation

/// The page frame shared by every panel page.
enum HTML {
    /// The page frame: navigation, language switch, logout, live-update script; `demoBuild` adds
    /// the banner of a box that trusts the demo model key, `demonstrationModels` the banner of
    /// active demonstration models.
    static func page(
        title: String, language: PanelLanguage, session: PanelSession?, path: String, demoBuild: Bool,
        demonstrationModels: [String] = [], body: String
    ) -> String {
        let t = language
        var nav = ""
        if let session {
            let items: [(String, String)] = [("/status", t("Status")), ("/studies", t("Studies")), ("/register", t("Registration")), ("/device", t("Device"))]
            nav = items.map { href, label in
                "<a href=\"\(href)\"\(path.hasPrefix(href) ? " class=\"here\"" : "")>\(HTMLText.escape(label))</a>"
            }.joined()
            nav += """
                <span class="who">\(HTMLText.escape(t(session.role == .doctor ? "Doctor" : "Technician")))</span>\
                <form method="post" action="/logout" class="inline"><input type="hidden" name="csrf" value="\(HTMLText.escape(session.csrfToken))">\
                <button type="submit" id="logout">\(HTMLText.escape(t("Log out")))</button></form>
                """
        }
        let back = HTMLText.percentEncode(path)
        let switcher = PanelLanguage.allCases.map { other in
            other == language ? "<b>\(other.rawValue.uppercased())</b>" : "<a href=\"/lang/\(other.rawValue)?back=\(back)\" id=\"lang-\(other.rawValue)\">\(other.rawValue.uppercased())</a>"
        }.joined(separator: " | ")
        return """
            <!doctype html>
            <html lang="\(language.rawValue)"><head><meta charset="utf-8">
            <meta name="viewport" content="width=device-width, initial-scale=1">
            <title>\(HTMLText.escape(title)) — Fluorobox</title>
            <link rel="stylesheet" href="/assets/panel.css">
            </head><body>
            <header><span class="brand">Fluorobox</span><nav>\(nav)</nav><span class="lang">\(switcher)</span></header>
            \(demoBuild ? "<p class=\"demo-banner\" id=\"demo-banner\">\(HTMLText.escape(t("Demonstration build: the demo model key is trusted; not for clinical use")))</p>" : "")
            \(demonstrationModels.isEmpty ? "" : "<p class=\"demo-banner\" id=\"demo-model-banner\">\(HTMLText.escape(t(demonstrationModelNotice))) <small>(\(HTMLText.escape(demonstrationModels.joined(separator: ", "))))</small></p>")
            <main><h1>\(HTMLText.escape(title))</h1>
            \(body)
            </main>
            <script src="/assets/panel.js"></script>
            </body></html>
            """
    }

    /// The banner of an active demonstration model, and the mark beside each of its findings.
    static let demonstrationModelNotice = AnalysisReport.demonstrationNotice
    static let demonstrationFindingMark = "demonstration model: means nothing"

    static func csrfField(_ session: PanelSession) -> String {
        "<input type=\"hidden\" name=\"csrf\" value=\"\(HTMLText.escape(session.csrfToken))\">"
    }

    static func dateTime(_ date: Date?) -> String {
        guard let date else { return "—" }
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.dateFormat = "yyyy-MM-dd HH:mm"
        return formatter.string(from: date)
    }

    /// "3 d 4 h", "2 h 5 min", "40 s", in the page's language.
    static func duration(seconds: Int, _ t: PanelLanguage) -> String {
        HTMLText.duration(seconds: seconds) { t($0) }
    }
}

/// The stylesheet and script, compiled into the binary (no CDN, no files).
enum PanelAssets {
    static let css = """
        * { box-sizing: border-box; }
        body { margin: 0; font: 18px/1.45 system-ui, sans-serif; color: #1b1f24; background: #f4f6f8; }
        header { display: flex; flex-wrap: wrap; align-items: center; gap: 12px; padding: 10px 16px; background: #16324f; color: #fff; }
        header a, header button { color: #fff; }
        .brand { font-weight: 700; font-size: 20px; margin-right: 12px; }
        nav { display: flex; flex-wrap: wrap; gap: 8px; align-items: center; flex: 1; }
        nav a { padding: 10px 14px; border-radius: 6px; text-decoration: none; }
        nav a.here { background: #2d5a87; }
        .who { opacity: .8; margin-left: auto; }
        .lang a { color: #cfe3ff; }
        main { padding: 16px; max-width: 1200px; margin: 0 auto; }
        h1 { font-size: 26px; margin: 4px 0 16px; }
        section { background: #fff; border-radius: 10px; padding: 14px 16px; margin-bottom: 14px; box-shadow: 0 1px 2px rgba(0,0,0,.08); overflow-x: auto; }
        h2 { font-size: 20px; margin: 0 0 10px; }
        table { border-collapse: collapse; width: 100%; }
        th, td { text-align: left; padding: 8px 6px; border-bottom: 1px solid #e3e7eb; vertical-align: top; }
        td.wrap { overflow-wrap: anywhere; }
        .grid { display: grid; grid-template-columns: repeat(auto-fit, minmax(260px, 1fr)); gap: 14px; }
        .badge { display: inline-block; padding: 2px 10px; border-radius: 12px; font-size: 15px; font-weight: 600; }
        .flagged { background: #fde2e1; color: #9b1c1c; }
        .retake { background: #fff1c2; color: #7a5200; }
        .normal { background: #e2f5e6; color: #1e6b32; }
        .pending { background: #e6ecf3; color: #3b4a5a; }
        .ok { color: #1e6b32; } .fail { color: #9b1c1c; } .skip { color: #6b7280; }
        .conflict { background: #ede0fb; color: #5b21b6; }
        .na { color: #6b7280; font-style: italic; }
        .demo-banner { margin: 0; padding: 10px 16px; background: #9b1c1c; color: #fff; font-weight: 700; text-align: center; }
        .demo-banner + .demo-banner { border-top: 1px solid #fff; }
        .demo-mark { background: #9b1c1c; color: #fff; }
        #certificate-fingerprint { overflow-wrap: anywhere; }
        button, .button { font-size: 18px; padding: 10px 18px; border-radius: 8px; border: 0; background: #2d5a87; color: #fff; cursor: pointer; text-decoration: none; display: inline-block; }
        form.inline { display: inline; }
        button.secondary { background: #6b7280; }
        header form button { background: transparent; border: 1px solid #8fb3d9; padding: 6px 12px; }
        input, select, textarea { font-size: 18px; padding: 8px; border: 1px solid #b8c2cc; border-radius: 6px; width: 100%; }
        label { display: block; margin: 10px 0 4px; font-weight: 600; }
        .error { background: #fde2e1; color: #9b1c1c; padding: 10px; border-radius: 6px; }
        .notice { background: #e2f5e6; color: #1e6b32; padding: 10px; border-radius: 6px; }
        .viewer img { max-width: 100%; height: auto; background: #000; display: block; }
        .legend span { display: inline-block; margin-right: 14px; }
        .swatch { display: inline-block; width: 14px; height: 14px; border-radius: 3px; vertical-align: middle; margin-right: 4px; }
        pre { white-space: pre-wrap; font-size: 14px; background: #f4f6f8; padding: 8px; border-radius: 6px; max-height: 320px; overflow: auto; }
        @media (max-width: 900px) { body { font-size: 17px; } .hide-narrow { display: none; } }
        """

    /// Server-sent events refresh the marked figures; the worklist reloads when studies change.
    static let javascript = """
        (function () {
          if (!window.EventSource || !document.querySelector('[data-live]')) return;
          var source = new EventSource('/events');
          var version = null;
          source.addEventListener('status', function (event) {
            var data = JSON.parse(event.data);
            document.querySelectorAll('[data-live]').forEach(function (node) {
              var key = node.getAttribute('data-live');
              if (key in data) node.textContent = data[key];
            });
            if (document.body.querySelector('[data-reload-on-change]')) {
              if (version !== null && version !== data.studiesVersion) location.reload();
              version = data.studiesVersion;
            }
          });
        })();
        document.querySelectorAll('[data-overlay-toggle]').forEach(function (box) {
          box.addEventListener('change', function () {
            var image = document.getElementById(box.getAttribute('data-overlay-toggle'));
            image.src = box.checked ? image.getAttribute('data-overlay') : image.getAttribute('data-plain');
          });
        });
        """
}
