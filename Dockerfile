# MovieRec API image. Build: docker build -t movierec-api .
# The build stage runs the same restore and build commands as .ci/run (Release, warnings as errors).
FROM mcr.microsoft.com/dotnet/sdk:10.0 AS build
WORKDIR /src
COPY global.json Directory.Build.props Directory.Packages.props .editorconfig MovieRec.sln ./
COPY data/datasets.json data/
COPY src/ src/
COPY tests/ tests/
COPY benchmarks/ benchmarks/
RUN dotnet restore MovieRec.sln
RUN dotnet build MovieRec.sln -c Release --no-restore -warnaserror
RUN dotnet publish src/MovieRec.Api/MovieRec.Api.csproj -c Release --no-restore -o /app/api \
 && dotnet publish src/MovieRec.Cli/MovieRec.Cli.csproj -c Release --no-restore -o /app/cli

FROM mcr.microsoft.com/dotnet/aspnet:10.0 AS runtime
# curl for the health check; fonts-dejavu-core for the dashboard's charts (ScottPlot draws no text without it).
RUN apt-get update && apt-get install -y --no-install-recommends curl fonts-dejavu-core && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY --from=build /app/api ./
COPY --from=build /app/cli ./cli/
# /data holds MovieLens folders, /models the bundles, /state the service's own state (the SQLite feedback file);
# all volumes owned by the non-root user.
RUN mkdir -p /data /models /state && chown -R app:app /data /models /state
ENV ASPNETCORE_URLS=http://+:8080 \
    MOVIEREC_MODELS=/models \
    MOVIEREC_DATA=/data/ml-latest-small \
    MOVIEREC_STATE=/state \
    DOTNET_CLI_TELEMETRY_OPTOUT=1
USER app
EXPOSE 8080
VOLUME ["/data", "/models", "/state"]
HEALTHCHECK --interval=10s --timeout=3s --start-period=120s --retries=3 \
  CMD curl -fsS http://localhost:8080/health/ready || exit 1
ENTRYPOINT ["dotnet", "MovieRec.Api.dll"]
