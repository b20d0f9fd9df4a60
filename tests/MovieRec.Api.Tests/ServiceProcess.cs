using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace MovieRec.Api.Tests;

/// <summary>A `dotnet MovieRec.Api.dll` child on a free loopback port, with a write key configured.</summary>
internal sealed class ServiceProcess : IDisposable
{
    /// <summary>The key every started service accepts for writes (role write).</summary>
    public const string WriteKey = "process-test-key";

    private readonly Process _process;

    private ServiceProcess(Process process, HttpClient client)
    {
        _process = process;
        Client = client;
    }

    public HttpClient Client { get; }

    public static async Task<ServiceProcess> StartAsync(string models, params (string Name, string Value)[] environment)
    {
        int port = FreePort();
        var start = new ProcessStartInfo("dotnet", [Path.Combine(AppContext.BaseDirectory, "MovieRec.Api.dll"), "--urls", $"http://127.0.0.1:{port}"])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = AppContext.BaseDirectory,
        };
        start.Environment["MovieRec__ModelsPath"] = models;
        start.Environment["MovieRec__TrainOnFirstStart"] = "false";
        start.Environment["MovieRec__ApiKeys__test__Key"] = WriteKey;
        start.Environment["MovieRec__ApiKeys__test__Roles"] = "write";
        start.Environment["Serilog__MinimumLevel__Default"] = "Warning";
        foreach ((string name, string value) in environment)
        {
            start.Environment[name] = value;
        }

        Process process = Process.Start(start) ?? throw new InvalidOperationException("dotnet did not start");
        var output = new System.Text.StringBuilder();
        process.OutputDataReceived += (_, e) => { lock (output) { output.AppendLine(e.Data); } };
        process.ErrorDataReceived += (_, e) => { lock (output) { output.AppendLine(e.Data); } };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var client = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}") };
        client.DefaultRequestHeaders.Add("X-Api-Key", WriteKey);
        var service = new ServiceProcess(process, client);
        for (int i = 0; i < 1200; i++)
        {
            if (process.HasExited)
            {
                break;
            }

            try
            {
                if ((await client.GetAsync("/health/ready")).StatusCode == HttpStatusCode.OK)
                {
                    return service;
                }
            }
            catch (HttpRequestException)
            {
            }

            await Task.Delay(100);
        }

        service.Dispose();
        lock (output)
        {
            throw new InvalidOperationException($"The service process did not become ready:\n{output}");
        }
    }

    /// <summary>SIGKILL: no shutdown code runs.</summary>
    public void Kill9()
    {
        _process.Kill(entireProcessTree: false);
        _process.WaitForExit();
    }

    public void Dispose()
    {
        if (!_process.HasExited)
        {
            _process.Kill();
            _process.WaitForExit();
        }

        _process.Dispose();
        Client.Dispose();
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
