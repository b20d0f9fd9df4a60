using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Mvc;

namespace MovieRec.Api.Extensions;

/// <summary>
/// Turns binding failures into 400 ProblemDetails that name the field: malformed JSON gives its JSON path
/// (<c>$.userId</c>), a bad query or route value names the parameter. Oversized bodies give 413.
/// </summary>
internal sealed partial class BadRequestExceptionHandler(IProblemDetailsService problems) : IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext httpContext, Exception exception, CancellationToken cancellationToken)
    {
        if (exception is not BadHttpRequestException bad)
        {
            return false;
        }

        var details = new ProblemDetails { Status = bad.StatusCode };
        if (bad.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            details.Title = "Request body too large";
            details.Detail = bad.Message;
        }
        else if (bad.InnerException is JsonException missing && MissingRequired(missing) is { Count: > 0 } fields)
        {
            // A C# 'required' member absent from the JSON: name each field with its place in the body.
            details.Title = "Missing required field";
            details.Detail = fields.Count == 1
                ? $"The request body lacks the required field '{fields[0]}'."
                : $"The request body lacks the required fields {string.Join(", ", fields.Select(f => $"'{f}'"))}.";
            details.Extensions["errors"] = fields.ToDictionary(f => f, f => new[] { $"'{f}' is required." });
        }
        else if (bad.InnerException is JsonException json)
        {
            string field = json.Path is { Length: > 2 } path ? path[2..] : "body";
            details.Title = "Malformed JSON";
            details.Detail = json.Path is { Length: > 2 }
                ? $"The request body is not valid JSON at '{field}' ({json.Path}): {FirstSentence(json.Message)}"
                : $"The request body is not valid JSON: {FirstSentence(json.Message)}";
            details.Extensions["errors"] = new Dictionary<string, string[]> { [field] = [details.Detail] };
        }
        else if (bad.Message.Contains("no body was provided", StringComparison.Ordinal))
        {
            details.Title = "Missing request body";
            details.Detail = "This endpoint needs a JSON request body; see /swagger for its shape.";
            details.Extensions["errors"] = new Dictionary<string, string[]> { ["body"] = [details.Detail] };
        }
        else
        {
            details.Title = "Bad request";
            details.Detail = bad.Message;
        }

        httpContext.Response.StatusCode = bad.StatusCode;
        return await problems.TryWriteAsync(new ProblemDetailsContext { HttpContext = httpContext, ProblemDetails = details, Exception = exception })
            .ConfigureAwait(false);
    }

    /// <summary>The fields System.Text.Json reports missing, prefixed with the object's path (<c>pairs[0].userId</c>).</summary>
    private static List<string> MissingRequired(JsonException json)
    {
        Match match = MissingPropertiesPattern().Match(json.Message);
        if (!match.Success)
        {
            return [];
        }

        string prefix = json.Path is { Length: > 2 } path && path.StartsWith("$.", StringComparison.Ordinal) ? path[2..] + "." : "";
        return [.. QuotedName().Matches(match.Groups["names"].Value).Select(m => prefix + m.Groups["name"].Value)];
    }

    [GeneratedRegex(@"missing required properties including: (?<names>.*?)\.?(\s+Path:|$)", RegexOptions.Singleline)]
    private static partial Regex MissingPropertiesPattern();

    [GeneratedRegex("'(?<name>[^']+)'")]
    private static partial Regex QuotedName();

    private static string FirstSentence(string message)
    {
        int end = message.IndexOf(" Path:", StringComparison.Ordinal);
        return end > 0 ? message[..end] : message;
    }
}
