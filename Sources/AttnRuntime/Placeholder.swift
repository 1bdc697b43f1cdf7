// AttnRuntime: sources arrive with their issue.
