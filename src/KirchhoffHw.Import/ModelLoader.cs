using KirchhoffHw.Model;

namespace KirchhoffHw.Import;

/// <summary>Loads a model from whichever file the user names: an authors' checkpoint or one of our design files.</summary>
public static class ModelLoader
{
    public static ImportedModel Load(string path, string? configPath = null)
    {
        Model.IO.InputFile.Require(path, "model file");
        switch (Path.GetExtension(path).ToLowerInvariant())
        {
            case ".pth" or ".pt":
                return CheckpointImporter.Load(path, configPath);
            case ".yaml" or ".yml":
                if (!IsDesign(path))
                    throw new KirchhoffHwException(path, "not a KirchhoffHw design (no top-level 'kirchhoffhw:' key); an authors' config.yaml is loaded through its model.pth");
                return new ImportedModel(DesignYaml.Load(path), null, path);
            default:
                throw new KirchhoffHwException(path, "unknown model file type; expected a .pth checkpoint or a .yaml design");
        }
    }

    /// <summary>A line scan for the top-level key, so a large design is parsed only once.</summary>
    private static bool IsDesign(string path)
    {
        using var reader = Model.IO.InputFile.OpenText(path, "model file", bytesPerByte: 2);
        while (reader.ReadLine() is { } line)
            if (line.StartsWith("kirchhoffhw:", StringComparison.Ordinal)) return true;
        return false;
    }
}
