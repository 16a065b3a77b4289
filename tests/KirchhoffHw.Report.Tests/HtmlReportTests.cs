using System.Globalization;
using Microsoft.Playwright;

namespace KirchhoffHw.Report.Tests;

/// <summary>
/// The HTML report in a real browser: Debian's headless Chromium (installed by `make test`) driven by Playwright,
/// which is told never to download a browser of its own.
/// </summary>
public class HtmlReportTests
{
    private const string Chromium = "/usr/bin/chromium";

    [Test]
    public async Task When_Opening_The_Report_Expect_No_Console_Errors_Sized_Plots_And_The_Json_Headlines()
    {
        Assert.That(File.Exists(Chromium), Is.True, $"{Chromium} is missing: `make test` installs Debian's chromium");
        using var playwright = await Playwright.CreateAsync();
        await using var browser = await playwright.Chromium.LaunchAsync(new() { ExecutablePath = Chromium, Headless = true, Args = ["--no-sandbox"] });
        var page = await browser.NewPageAsync();
        var problems = new List<string>();
        page.Console += (_, m) => { if (m.Type is "error" or "warning") problems.Add($"{m.Type}: {m.Text}"); };
        page.PageError += (_, e) => problems.Add($"page error: {e}");
        page.RequestFailed += (_, r) => problems.Add($"request failed: {r.Url}");
        var html = Path.Combine(Reports.Spiral, "report.html");
        var response = await page.GotoAsync(new Uri(html).AbsoluteUri, new() { WaitUntil = WaitUntilState.Load });
        Assert.That(response?.Ok, Is.True);
        Assert.That(problems, Is.Empty);

        var json = Reports.Json(Reports.Spiral);
        var images = page.Locator("img.plot");
        int count = await images.CountAsync();
        Assert.That(count, Is.EqualTo(json.GetProperty("plots").GetArrayLength()));
        for (int i = 0; i < count; i++)
        {
            var img = images.Nth(i);
            var natural = await img.EvaluateAsync<int[]>("e => [e.naturalWidth, e.naturalHeight, e.complete ? 1 : 0]");
            Assert.That(natural[0], Is.GreaterThan(0)); Assert.That(natural[1], Is.GreaterThan(0)); Assert.That(natural[2], Is.EqualTo(1));
            var box = await img.BoundingBoxAsync();
            Assert.That(box, Is.Not.Null);
            Assert.That(box!.Width, Is.GreaterThan(0)); Assert.That(box.Height, Is.GreaterThan(0));
        }

        var headlines = json.GetProperty("headlines").EnumerateArray().ToList();
        Assert.That(await page.Locator("#headlines .headline").CountAsync(), Is.EqualTo(headlines.Count));
        foreach (var h in headlines)
        {
            var card = page.Locator($"#headlines .headline[data-key='{h.GetProperty("key").GetString()}']");
            double value = h.GetProperty("value").GetDouble();
            var shown = double.Parse((await card.GetAttributeAsync("data-value"))!, CultureInfo.InvariantCulture);
            Assert.That(shown, Is.EqualTo(value), h.GetProperty("key").GetString());
            Assert.That((await card.Locator(".value").InnerTextAsync()).Trim(), Is.EqualTo(Format.Quantity(value, h.GetProperty("unit").GetString()!)));
        }
        // The headline figures are the estimates and counts themselves, not copies that could drift.
        var estimates = json.GetProperty("estimates").EnumerateArray().ToDictionary(e => e.GetProperty("key").GetString()!, e => e.GetProperty("value").GetDouble());
        foreach (var h in headlines.Where(h => estimates.ContainsKey(h.GetProperty("key").GetString()!)))
            Assert.That(h.GetProperty("value").GetDouble(), Is.EqualTo(estimates[h.GetProperty("key").GetString()!]));
        Assert.That(headlines.First(h => h.GetProperty("key").GetString() == "devices").GetProperty("value").GetDouble(),
            Is.EqualTo(json.GetProperty("counts").GetProperty("devices").GetDouble()));
        Assert.That(await page.Locator("#verdict").InnerTextAsync(), Is.EqualTo(json.GetProperty("verdict").GetString()));
    }
}
