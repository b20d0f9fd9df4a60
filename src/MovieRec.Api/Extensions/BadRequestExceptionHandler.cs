using System.Text.Json;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Mvc;

namespace MovieRec.Api.Extensions;

/// <summary>
/// Turns binding failures into 400 ProblemDetails that name the field: malformed JSON gives its JSON path
/// (<c>$.userId</c>), a bad query or route value names the parameter. Oversized bodies give 413.
/// </summary>
internal sealed class BadRequestExceptionHandler(IProblemDetailsService problems) : IExceptionHandler
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

    private static string FirstSentence(string message)
    {
        int end = message.IndexOf(" Path:", StringComparison.Ordinal);
        return end > 0 ? message[..end] : message;
    }
}
