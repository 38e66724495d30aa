-- Argo CD health check for deploy.codedance.io/CanaryDeployment.
--
-- Install it in the argocd-cm ConfigMap (see README.md, "Argo CD"):
--   resource.customizations.health.deploy.codedance.io_CanaryDeployment: |
--     <this file>
--
-- Argo CD runs it with the object as `obj` and reads `hs.status` and `hs.message`:
--   no status yet, or a status of an older generation   -> Progressing ("waiting for the engine")
--   Failed (phase, or the Failed condition True)         -> Degraded (reason and message)
--   Completed (phase, or the Ready condition True)       -> Healthy
--   Paused (an approval, a grey-zone analysis, a user)   -> Suspended
--   Initializing, Progressing, Promoting, RollingBack    -> Progressing
-- Written for Lua 5.1 (Argo CD's gopher-lua) and tested with Lua 5.4 (test/unit/argocd-health.test.ts).

local hs = {}

local function present(text)
  return text ~= nil and text ~= ""
end

local function condition(status, conditionType)
  if status.conditions == nil then
    return nil
  end
  for _, c in ipairs(status.conditions) do
    if c.type == conditionType then
      return c
    end
  end
  return nil
end

-- "Reason: message", or whichever of the two there is.
local function describe(reason, message)
  if present(reason) and present(message) then
    return reason .. ": " .. message
  end
  if present(message) then
    return message
  end
  if present(reason) then
    return reason
  end
  return ""
end

local status = obj.status
if status == nil or (status.phase == nil and status.conditions == nil) then
  hs.status = "Progressing"
  hs.message = "Waiting for the engine to pick up this CanaryDeployment"
  return hs
end

local generation = nil
if obj.metadata ~= nil then
  generation = obj.metadata.generation
end
if status.observedGeneration ~= nil and generation ~= nil and status.observedGeneration < generation then
  hs.status = "Progressing"
  hs.message = "Waiting for the engine to pick up generation " .. tostring(generation)
    .. " (the status is of generation " .. tostring(status.observedGeneration) .. ")"
  return hs
end

local failed = condition(status, "Failed")
if status.phase == "Failed" or (failed ~= nil and failed.status == "True") then
  hs.status = "Degraded"
  if failed ~= nil and failed.status == "True" then
    hs.message = describe(failed.reason, failed.message)
  else
    hs.message = describe("Failed", status.message)
  end
  return hs
end

local ready = condition(status, "Ready")
if status.phase == "Completed" or (ready ~= nil and ready.status == "True") then
  hs.status = "Healthy"
  if present(status.message) then
    hs.message = status.message
  else
    hs.message = "Completed"
  end
  return hs
end

local progressing = condition(status, "Progressing")
if status.phase == "Paused" then
  hs.status = "Suspended"
  local reason = "Paused"
  local message = status.message
  if progressing ~= nil and present(progressing.reason) then
    reason = progressing.reason
  end
  if progressing ~= nil and present(progressing.message) then
    message = progressing.message
  end
  hs.message = describe(reason, message)
  return hs
end

hs.status = "Progressing"
local where = status.phase or "Progressing"
if status.step ~= nil and status.weight ~= nil then
  where = where .. " (step " .. status.step .. ", " .. tostring(status.weight) .. "% on the canary)"
end
hs.message = describe(where, status.message)
return hs
