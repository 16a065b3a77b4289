using KirchhoffHw.Cli;

return App.Run(args);
