using KirchhoffHw.Generate.Formatting;

namespace KirchhoffHw.Generate.Dialects.VerilogAms;

/// <summary>
/// Verilog spellings on top of <see cref="Names"/>. Every identifier written is `[A-Za-z_][A-Za-z0-9_]*` and,
/// where it comes from free text, carries a suffix no Verilog-AMS keyword has (`_top`, `_tb`) or the `kh_` prefix,
/// so no name needs an escaped identifier and no design name can collide with a keyword or a library module.
/// </summary>
public static class VerilogNames
{
    /// <summary>The ground net of the top module (declared `ground gnd;`); node k &gt; 0 is `n&lt;k&gt;` as in SPICE.</summary>
    public const string Ground = "gnd";

    public static string Net(int node) => node == 0 ? Ground : Names.Node(node);

    public static string Design(string? name) => Names.Identifier(name);

    public static string TopModule(string? designName) => Design(designName) + "_top";

    public static string TestbenchModule(string? designName) => Design(designName) + "_tb";

    /// <summary>The module of a device model: `kh_&lt;Model&gt;`, and `kh_&lt;Model&gt;_ph` for its phase-gated form.</summary>
    public static string Device(string modelName, bool gated) => "kh_" + Names.Identifier(modelName) + (gated ? "_ph" : "");

    /// <summary>
    /// Body of a `//` comment. <see cref="Names.CommentText"/> already keeps it on one line; a backtick could still
    /// look like a compiler directive to a careless preprocessor and a backslash like a line continuation, so both go.
    /// </summary>
    public static string Comment(string? text) => Names.CommentText(text).Replace('`', '?').Replace('\\', '?');
}
