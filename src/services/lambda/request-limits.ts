/**
 * Request-body limits of the Lambda API, answered with RequestEntityTooLargeException (413)
 * from the Content-Length alone, before the gateway reads a byte of the body.
 *
 * From AWS: 70,167,211 bytes for CreateFunction (recorded), UpdateFunctionCode and
 * PublishLayerVersion (the same message seen from AWS for both): 50 MB of zip in base64
 * (69,905,067, AWS's older limit) plus 256 KiB for the other parameters; 5,120 bytes for
 * UpdateFunctionConfiguration (AWS's troubleshooting guide quotes the error). Invoke keeps
 * its payload limits (operations/invoke.ts).
 *
 * Every other operation, whose parameters are all small, gets the gateway's default for
 * operations that declare none (DEFAULT_OPERATION_REQUEST_BYTES, 256 KiB; AWS publishes no
 * figure for them). A body that small parses in a few milliseconds at most.
 */

export const CODE_REQUEST_LIMIT = 70_167_211;
export const UPDATE_CONFIGURATION_REQUEST_LIMIT = 5_120;
