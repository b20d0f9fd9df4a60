using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Options;
using MovieRec.Api.Hosting;

namespace MovieRec.Api.Extensions;

/// <summary>The role an endpoint needs (endpoint metadata); endpoints without it need <see cref="ApiRoles.Read"/>.</summary>
public sealed record RequiresRole(string Role);

public static class ApiRoles
{
    public const string Read = "read";
    public const string Write = "write";
    public const string Admin = "admin";

    /// <summary>Needs a key with <paramref name="role"/> (admin includes write, write includes read) when keys are configured.</summary>
    public static TBuilder RequireRole<TBuilder>(this TBuilder builder, string role)
        where TBuilder : IEndpointConventionBuilder => builder.WithMetadata(new RequiresRole(role));

    public static bool Grants(IReadOnlySet<string> roles, string role) =>
        roles.Contains(role) || roles.Contains(Admin) || (role == Read && roles.Contains(Write));
}

/// <summary>
/// The configured API keys (<c>MovieRec:ApiKeys:&lt;name&gt;:Key/Roles</c>, plus <c>MovieRec:AdminApiKey</c> as an admin key).
/// With any key configured, writes need a write key; reads need a read key only when some key has the read role.
/// With no key at all, everything is open (a local first run) and start-up warns.
/// </summary>
public sealed class ApiKeyRing
{
    private readonly (byte[] Key, string Name, IReadOnlySet<string> Roles)[] _keys;

    public ApiKeyRing(IOptions<MovieRecOptions> options)
    {
        var keys = new List<(byte[], string, IReadOnlySet<string>)>();
        foreach ((string name, ApiKeyOptions key) in options.Value.ApiKeys)
        {
            if (!string.IsNullOrEmpty(key.Key))
            {
                var roles = key.Roles.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
                    .Select(r => r.ToLowerInvariant()).ToHashSet();
                string[] unknown = [.. roles.Where(r => r is not (ApiRoles.Read or ApiRoles.Write or ApiRoles.Admin))];
                if (unknown.Length > 0)
                {
                    throw new OptionsValidationException(name, typeof(ApiKeyOptions),
                        [$"MovieRec:ApiKeys:{name}:Roles has unknown roles ({string.Join(", ", unknown)}); use read, write, admin."]);
                }

                keys.Add((Encoding.UTF8.GetBytes(key.Key), name, roles));
            }
        }

        if (!string.IsNullOrEmpty(options.Value.AdminApiKey))
        {
            keys.Add((Encoding.UTF8.GetBytes(options.Value.AdminApiKey), "AdminApiKey", new HashSet<string> { ApiRoles.Admin }));
        }

        _keys = [.. keys];
        ReadsNeedKey = keys.Any(k => k.Item3.Contains(ApiRoles.Read));
    }

    /// <summary>No key is configured: writes are open.</summary>
    public bool IsOpen => _keys.Length == 0;

    public bool ReadsNeedKey { get; }

    /// <summary>Some key has the admin role (<c>MovieRec:AdminApiKey</c> or a named key).</summary>
    public bool HasAdminKey => _keys.Any(k => k.Roles.Contains(ApiRoles.Admin));

    /// <summary>The roles of a presented key, or null when it matches none.</summary>
    public IReadOnlySet<string>? RolesOf(string? presented)
    {
        if (string.IsNullOrEmpty(presented))
        {
            return null;
        }

        byte[] given = Encoding.UTF8.GetBytes(presented);
        IReadOnlySet<string>? found = null;
        foreach ((byte[] key, _, IReadOnlySet<string> roles) in _keys)
        {
            // Every key is compared in fixed time, so timing does not tell which one (or how much of one) matched.
            if (CryptographicOperations.FixedTimeEquals(key, given))
            {
                found = roles;
            }
        }

        return found;
    }
}

/// <summary>Answers 401 (no or unknown key) or 403 (a key without the role) before the endpoint runs.</summary>
internal sealed class ApiKeyMiddleware(RequestDelegate next, ApiKeyRing ring, IProblemDetailsService problems)
{
    public const string Header = "X-Api-Key";

    public async Task InvokeAsync(HttpContext context)
    {
        Endpoint? endpoint = context.GetEndpoint();
        if (endpoint is null || ring.IsOpen)
        {
            await next(context).ConfigureAwait(false);
            return;
        }

        string? role = endpoint.Metadata.GetMetadata<RequiresRole>()?.Role;
        if (role is null)
        {
            PathString path = context.Request.Path;
            // /metrics is for the scraper: open unless MovieRec:Metrics:RequireAdminKey puts the admin role on it.
            bool api = !path.StartsWithSegments("/health") && !path.StartsWithSegments("/swagger") && !path.StartsWithSegments("/admin/reload")
                && !path.StartsWithSegments(MetricsExtensions.Path);
            role = api && ring.ReadsNeedKey ? ApiRoles.Read : null;
        }

        if (role is null)
        {
            await next(context).ConfigureAwait(false);
            return;
        }

        IReadOnlySet<string>? roles = ring.RolesOf(context.Request.Headers[Header]);
        if (roles is not null && ApiRoles.Grants(roles, role))
        {
            await next(context).ConfigureAwait(false);
            return;
        }

        int status = roles is null ? StatusCodes.Status401Unauthorized : StatusCodes.Status403Forbidden;
        context.Response.StatusCode = status;
        await problems.WriteAsync(new ProblemDetailsContext
        {
            HttpContext = context,
            ProblemDetails =
            {
                Status = status,
                Title = roles is null ? "Missing or unknown API key" : "API key lacks the role",
                Detail = roles is null
                    ? $"{context.Request.Method} {context.Request.Path} needs an API key with the '{role}' role in the {Header} header."
                    : $"The API key in {Header} does not have the '{role}' role that {context.Request.Method} {context.Request.Path} needs.",
                Extensions = { ["requiredRole"] = role },
            },
        }).ConfigureAwait(false);
    }
}
